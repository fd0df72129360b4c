/** A headline figure and its target; `printFigures` writes the FIGURE lines that end every benchmark's output. */
export interface Figure {
  name: string
  value: number
  unit: 'req/s' | 'cred/s' | 'verif/s' | 'ratio' | 'ms' | 's' | '%' | 'count' | 'MB'
  op: '>=' | '<='
  target: number
}

const DECIMALS: Record<Figure['unit'], number> = { 'req/s': 0, 'cred/s': 0, 'verif/s': 0, ratio: 2, ms: 1, s: 1, '%': 1, count: 0, MB: 0 }

const format = (figure: Figure, value: number) => value.toFixed(DECIMALS[figure.unit])

/** Compares the printed (rounded) value, so a line never reads "0.50 target >= 0.50 missed". */
export function isMet(figure: Figure): boolean {
  const value = Number(format(figure, figure.value))
  return figure.op === '>=' ? value >= figure.target : value <= figure.target
}

/** `FIGURE <name> <value> <unit> target <op> <value> met|missed`, one line per figure. */
export function printFigures(figures: Figure[]): void {
  for (const figure of figures) {
    const [value, target] = [format(figure, figure.value), format(figure, figure.target)]
    console.log(`FIGURE ${figure.name} ${value} ${figure.unit} target ${figure.op} ${target} ${isMet(figure) ? 'met' : 'missed'}`)
  }
}
