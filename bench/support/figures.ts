/** A headline figure and its target; `printFigures` writes the FIGURE lines that end every benchmark's output. */
export interface Figure {
  name: string
  value: number
  unit: 'req/s' | 'ratio' | 'ms' | '%'
  op: '>=' | '<='
  target: number
}

const DECIMALS: Record<Figure['unit'], number> = { 'req/s': 0, ratio: 2, ms: 1, '%': 1 }

export function isMet(figure: Figure): boolean {
  return figure.op === '>=' ? figure.value >= figure.target : figure.value <= figure.target
}

/** `FIGURE <name> <value> <unit> target <op> <value> met|missed`, one line per figure. */
export function printFigures(figures: Figure[]): void {
  for (const figure of figures) {
    const format = (value: number) => value.toFixed(DECIMALS[figure.unit])
    console.log(`FIGURE ${figure.name} ${format(figure.value)} ${figure.unit} target ${figure.op} ${format(figure.target)} ${isMet(figure) ? 'met' : 'missed'}`)
  }
}
