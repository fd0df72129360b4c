import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import ts from 'typescript'
import { projectPath } from '../../src/platform/paths.ts'

/** Page files whose every word comes from the message catalogues; the staff pages join this list as they are translated. */
export const TRANSLATED_PAGE_FILES = [
  'src/features/credentials/public/pages.tsx',
  'src/features/credentials/public/sharing.tsx',
  'src/features/credentials/status-badge.tsx',
  'src/features/credentials/field-checkboxes.tsx',
  'src/features/identity/auth-pages.tsx',
  'src/platform/i18n/language-picker.tsx',
]

/** Attributes a reader sees or hears. */
const USER_FACING_ATTRIBUTES = new Set(['title', 'aria-label', 'placeholder', 'alt', 'value', 'label', 'legend', 'data-confirm'])
const WORDS = /\p{L}{2,}/u

interface Finding {
  line: number
  text: string
}

const isWordy = (node: ts.Node): node is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateExpression =>
  (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) && WORDS.test(literalText(node))

function literalText(node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateExpression): string {
  return ts.isTemplateExpression(node) ? [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ') : node.text
}

const COMPARISONS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.InKeyword,
])

/** Strings shown as they stand in an expression: not message ids passed to a call, not values compared with. */
function shownStrings(expression: ts.Node, found: ts.Node[] = []): ts.Node[] {
  if (ts.isCallExpression(expression) || (ts.isBinaryExpression(expression) && COMPARISONS.has(expression.operatorToken.kind))) return found
  if (isWordy(expression)) found.push(expression)
  else if (!ts.isArrowFunction(expression) && !ts.isJsxElement(expression) && !ts.isJsxSelfClosingElement(expression) && !ts.isJsxFragment(expression))
    ts.forEachChild(expression, (child) => {
      shownStrings(child, found)
    })
  return found
}

/** Text a page shows that does not come from a catalogue: JSX text, user-facing attributes, page titles and flash messages. */
export function hardCodedText(fileName: string, source: string): Finding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX)
  const findings: Finding[] = []
  const report = (node: ts.Node, text: string) => findings.push({ line: file.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: text.trim() })
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && WORDS.test(node.text)) report(node, node.text)
    if (ts.isJsxExpression(node) && node.expression && !ts.isJsxAttribute(node.parent)) {
      for (const shown of shownStrings(node.expression)) report(shown, shown.getText())
    }
    if (ts.isJsxAttribute(node) && USER_FACING_ATTRIBUTES.has(node.name.getText()) && node.initializer) {
      const value = ts.isJsxExpression(node.initializer) ? node.initializer.expression : node.initializer
      if (value) for (const shown of shownStrings(value)) report(shown, `${node.name.getText()}=${shown.getText()}`)
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text
      const text = method === 'page' ? node.arguments[0] : method === 'flash' ? node.arguments[1] : undefined
      if (text) for (const shown of shownStrings(text)) report(shown, `${method}(${shown.getText()})`)
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return findings
}

describe('translated pages', () => {
  for (const path of TRANSLATED_PAGE_FILES) {
    it(`${path} takes every word it shows from the catalogues`, async () => {
      const findings = hardCodedText(path, await readFile(projectPath(path), 'utf8'))
      assert.deepEqual(findings, [], `Hard-coded text:\n${findings.map((finding) => `  line ${finding.line}: ${finding.text}`).join('\n')}`)
    })
  }

  it('the check finds text, attributes, titles and flash messages written into a page', () => {
    const page = `
      export const page = (reply, m, isOk) => {
        reply.flash('success', 'Saved.')
        return reply.page('Sign in', <form>
          <label>Email</label>
          <input placeholder="you@example.org" />
          <img alt={name + ' badge'} />
          <p>{isOk ? m.t('ok.message') : 'Not OK'}</p>
          <p>{m.t(isOk ? 'ok.yes' : 'ok.no')} {check.name === 'record' ? '' : '✔'}</p>
        </form>)
      }`
    assert.deepEqual(
      hardCodedText('page.tsx', page).map((finding) => finding.text),
      ["flash('Saved.')", "page('Sign in')", 'Email', 'placeholder="you@example.org"', "alt=' badge'", "'Not OK'"],
    )
  })
})
