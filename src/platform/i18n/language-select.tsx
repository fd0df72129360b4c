import type { FormState } from '../ui/components.tsx'
import { SelectField } from '../ui/components.tsx'
import { LOCALE_NAMES, LOCALES } from './locales.ts'

/** A language drop-down, each language named in itself; `emptyLabel` adds a "no choice" option first. */
export function LanguageSelect(props: { name: string; label: string; value?: string | null; state?: FormState; emptyLabel?: string }) {
  const options = [
    ...(props.emptyLabel ? [{ value: '', label: props.emptyLabel }] : []),
    ...LOCALES.map((locale) => ({ value: locale, label: LOCALE_NAMES[locale] })),
  ]
  return <SelectField name={props.name} label={props.label} options={options} value={props.value ?? ''} state={props.state} />
}
