import { TableHead } from './components.tsx'

export interface ChartSeries {
  name: string
  values: number[]
}

const WIDTH = 720
const HEIGHT = 240
const MARGIN = { top: 12, right: 12, bottom: 28, left: 44 }
const X_LABELS = 6

/** The smallest "round" number (1, 2 or 5 times a power of ten) at or above `value`. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power
}

/**
 * A line chart drawn on the server as SVG: no script, nothing fetched. Screen readers get its title and
 * description, and everyone gets the numbers as a table below it.
 */
export function LineChart({
  id,
  title,
  description,
  labels,
  series,
}: {
  id: string
  title: string
  description: string
  labels: string[]
  series: ChartSeries[]
}) {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
  const top = niceCeiling(Math.max(0, ...series.flatMap((line) => line.values)))
  const x = (index: number) => MARGIN.left + (labels.length <= 1 ? plotWidth / 2 : (index * plotWidth) / (labels.length - 1))
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight
  const ticks = [0, top / 2, top].filter((tick) => Number.isInteger(tick))
  const labelEvery = Math.max(1, Math.ceil(labels.length / X_LABELS))
  return (
    <figure class="chart" id={id}>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} class="chart-svg">
        <title id={`${id}-title`} safe>
          {title}
        </title>
        <desc id={`${id}-desc`} safe>
          {description}
        </desc>
        {ticks.map((tick) => (
          <g class="chart-grid">
            <line x1={String(MARGIN.left)} x2={String(WIDTH - MARGIN.right)} y1={String(y(tick))} y2={String(y(tick))} />
            <text x={String(MARGIN.left - 6)} y={String(y(tick) + 4)} text-anchor="end" safe>
              {String(tick)}
            </text>
          </g>
        ))}
        {labels.map((label, index) =>
          index % labelEvery === 0 || index === labels.length - 1 ? (
            <text class="chart-axis" x={String(x(index))} y={String(HEIGHT - 8)} text-anchor="middle" safe>
              {label.slice(5)}
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
