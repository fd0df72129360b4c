import { TableHead } from './components.tsx'

export interface ChartSeries {
  name: string
  values: number[]
}

/** `log` spreads small series out instead of leaving them flat at zero beside a large one. */
export type ChartScale = 'linear' | 'log'

const WIDTH = 720
const HEIGHT = 240
const TOP = 12
/** The axis labels' font size in the SVG's units; laurel.css sets the same size on `.chart-axis`. */
export const CHART_FONT_SIZE = 12
const LABEL_GAP = 8

/**
 * A generous estimate of how wide a label is drawn: the server cannot measure text, so space is kept
 * for the widest glyphs (digits and Latin letters are about 0.55 em, CJK ideographs a full em).
 */
export function estimateTextWidth(text: string): number {
  let width = 0
  for (const character of text) width += (character.codePointAt(0) ?? 0) >= 0x2e80 ? 1 : 0.62
  return Math.ceil(width * CHART_FONT_SIZE)
}

/** The smallest "round" number (1, 2 or 5 times a power of ten) at or above `value`. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power
}

/** Where the value axis ends and which values it marks. */
function valueAxis(maximum: number, scale: ChartScale): { top: number; ticks: number[]; position: (value: number) => number } {
  if (scale === 'log') {
    const top = 10 ** Math.max(1, Math.ceil(Math.log10(Math.max(1, maximum))))
    const ticks = [0, ...Array.from({ length: Math.log10(top) + 1 }, (_, power) => 10 ** power)]
    // log(1 + v): zero stays at the bottom, and 1 sits clearly above it.
    return { top, ticks, position: (value) => Math.log10(1 + value) / Math.log10(1 + top) }
  }
  const top = niceCeiling(maximum)
  return { top, ticks: [0, top / 2, top].filter((tick) => Number.isInteger(tick)), position: (value) => value / top }
}

/** Which x labels to draw: evenly spaced, the last one (the latest) always, never two closer than their width. */
function shownLabelIndexes(count: number, spacing: number, labelWidth: number): Set<number> {
  const every = Math.max(1, Math.ceil((labelWidth + LABEL_GAP) / Math.max(spacing, 1)))
  return new Set(Array.from({ length: count }, (_, index) => index).filter((index) => (count - 1 - index) % every === 0))
}

/**
 * A line chart drawn on the server as SVG: no script, nothing fetched. Axis labels are spaced from
 * their estimated width so none is cut or overlaps; each day has a hover band whose tooltip (an SVG
 * `<title>`) gives every series' value; screen readers get the title, the description and the numbers
 * as a table below it.
 */
export function LineChart({
  id,
  title,
  description,
  labels,
  series,
  scale = 'linear',
  formatLabel = (label) => label,
}: {
  id: string
  title: string
  description: string
  labels: string[]
  series: ChartSeries[]
  scale?: ChartScale
  /** The short form of a label under the axis; tooltips and the table show it whole. */
  formatLabel?: (label: string) => string
}) {
  const axis = valueAxis(Math.max(0, ...series.flatMap((line) => line.values)), scale)
  const axisLabels = labels.map(formatLabel)
  const labelWidth = Math.max(0, ...axisLabels.map(estimateTextWidth))
  const tickWidth = Math.max(...axis.ticks.map((tick) => estimateTextWidth(String(tick))))
  const margin = {
    left: Math.max(tickWidth + 10, Math.ceil(labelWidth / 2) + 4),
    right: Math.max(12, Math.ceil(labelWidth / 2) + 4),
    bottom: CHART_FONT_SIZE * 2 + 4,
  }
  const plotWidth = WIDTH - margin.left - margin.right
  const plotHeight = HEIGHT - TOP - margin.bottom
  const spacing = labels.length <= 1 ? plotWidth : plotWidth / (labels.length - 1)
  const x = (index: number) => margin.left + (labels.length <= 1 ? plotWidth / 2 : index * spacing)
  const y = (value: number) => TOP + plotHeight - axis.position(value) * plotHeight
  const shown = shownLabelIndexes(labels.length, spacing, labelWidth)
  return (
    <figure class="chart" id={id}>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} class="chart-svg" data-scale={scale}>
        <title id={`${id}-title`} safe>
          {title}
        </title>
        <desc id={`${id}-desc`} safe>
          {`${description}${scale === 'log' ? ' (logarithmic scale)' : ''}`}
        </desc>
        {axis.ticks.map((tick) => (
          <g class="chart-grid">
            <line x1={String(margin.left)} x2={String(WIDTH - margin.right)} y1={y(tick).toFixed(1)} y2={y(tick).toFixed(1)} />
            <text class="chart-axis" x={String(margin.left - 6)} y={(y(tick) + CHART_FONT_SIZE / 3).toFixed(1)} text-anchor="end" safe>
              {String(tick)}
            </text>
          </g>
        ))}
        {axisLabels.map((label, index) =>
          shown.has(index) ? (
            <text class="chart-axis" x={x(index).toFixed(1)} y={String(HEIGHT - CHART_FONT_SIZE)} text-anchor="middle" safe>
              {label}
            </text>
          ) : (
            ''
          ),
        )}
        {series.map((line, index) => (
          <polyline
            class={`chart-line chart-series-${index}`}
            fill="none"
            points={line.values.map((value, position) => `${x(position).toFixed(1)},${y(value).toFixed(1)}`).join(' ')}
          />
        ))}
        {labels.map((label, position) => {
          const left = Math.max(margin.left, x(position) - spacing / 2)
          const right = Math.min(WIDTH - margin.right, x(position) + spacing / 2)
          return (
            <rect class="chart-hover" x={left.toFixed(1)} y={String(TOP)} width={(right - left).toFixed(1)} height={String(plotHeight)}>
              <title safe>{`${label}: ${series.map((line) => `${line.name} ${line.values[position] ?? 0}`).join(', ')}`}</title>
            </rect>
          )
        })}
      </svg>
      <figcaption>
        <ul class="chart-legend">
          {series.map((line, index) => (
            <li>
              <span class={`chart-swatch chart-series-${index}`} aria-hidden="true"></span> <span safe>{line.name}</span>
            </li>
          ))}
        </ul>
        <details>
          <summary>The numbers as a table</summary>
          <table>
            <TableHead columns={['Day', ...series.map((line) => line.name)]} />
            <tbody>
              {labels.map((label, position) => (
                <tr>
                  <th scope="row" safe>
                    {label}
                  </th>
                  {series.map((line) => (
                    <td safe>{String(line.values[position] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  )
}
