import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CHART_FONT_SIZE, type ChartSeries, estimateTextWidth, LineChart } from './chart.tsx'

const VIEWBOX_WIDTH = 720

const days = (count: number) => Array.from({ length: count }, (_, index) => new Date(Date.UTC(2026, 8, 1 + index)).toISOString().slice(0, 10))

async function render(labels: string[], series: ChartSeries[], options: { scale?: 'linear' | 'log'; formatLabel?: (label: string) => string } = {}) {
  return String(await LineChart({ id: 'test-chart', title: 'Events', description: 'Events per day', labels, series, ...options }))
}

interface AxisText {
  x: number
  y: number
  anchor: string
  text: string
}

const decodeEntities = (text: string) =>
  text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&').replaceAll('&#39;', "'").replaceAll('&quot;', '"')

function axisTexts(svg: string): AxisText[] {
  return [...svg.matchAll(/<text class="chart-axis" x="([\d.-]+)" y="([\d.-]+)" text-anchor="(\w+)">([^<]*)<\/text>/g)].map((match) => ({
    x: Number(match[1]),
    y: Number(match[2]),
    anchor: match[3] ?? '',
    text: decodeEntities(match[4] ?? ''),
  }))
}

/** The horizontal extent a label takes, by the chart's own width estimate. */
function extent({ x, anchor, text }: AxisText): [number, number] {
  const width = estimateTextWidth(text)
  return anchor === 'end' ? [x - width, x] : [x - width / 2, x + width / 2]
}

/** The y of each point of the n-th polyline. */
const pointsOf = (svg: string, index: number) =>
  (new RegExp(`<polyline class="chart-line chart-series-${index}" fill="none" points="([^"]*)"`).exec(svg)?.[1] ?? '')
    .split(' ')
    .map((point) => Number(point.split(',')[1]))

describe('LineChart', () => {
  it('keeps every axis label inside the picture and thins the day labels so none overlap, the latest day always shown', async () => {
    const labels = days(90)
    const svg = await render(labels, [{ name: 'Verified', values: labels.map((_, index) => index * 1500) }], { formatLabel: (day) => day.slice(5) })
    const texts = axisTexts(svg)
    const dayLabels = texts.filter((text) => text.anchor === 'middle')
    assert.ok(dayLabels.length >= 6, `only ${dayLabels.length} day labels`)
    assert.ok(dayLabels.length < 90, 'labels are thinned out')
    assert.equal(dayLabels.at(-1)?.text, labels.at(-1)?.slice(5))
    for (const text of texts) {
      const [left, right] = extent(text)
      assert.ok(left >= 0 && right <= VIEWBOX_WIDTH, `"${text.text}" spans ${left}..${right}, outside 0..${VIEWBOX_WIDTH}`)
      assert.ok(text.y - CHART_FONT_SIZE >= 0 && text.y <= 240, `"${text.text}" is cut at the top or bottom`)
    }
    for (let i = 1; i < dayLabels.length; i++) {
      const previous = dayLabels[i - 1]
      const current = dayLabels[i]
      assert.ok(previous && current && extent(previous)[1] < extent(current)[0], `"${previous?.text}" overlaps "${current?.text}"`)
    }
    const ticks = texts.filter((text) => text.anchor === 'end').map((text) => text.text)
    assert.ok(ticks.includes('200000'), `ticks: ${ticks.join(', ')}`)
  })

  it('makes room for long labels at both ends', async () => {
    const labels = ['Semaine 1 de 2026', 'Semaine 2 de 2026', 'Semaine 3 de 2026', '第四週 2026年']
    const svg = await render(labels, [{ name: 'Viewed', values: [1, 2, 3, 4] }])
    const dayLabels = axisTexts(svg).filter((text) => text.anchor === 'middle')
    assert.deepEqual(
      dayLabels.map((text) => text.text),
      labels,
    )
    for (const text of dayLabels) {
      const [left, right] = extent(text)
      assert.ok(left >= 0 && right <= VIEWBOX_WIDTH, `"${text.text}" spans ${left}..${right}`)
    }
  })

  it('on a logarithmic scale lifts a small series off the floor that a linear scale leaves flat', async () => {
    const labels = days(10)
    const series = [
      { name: 'Viewed', values: labels.map(() => 5000) },
      { name: 'Verified', values: labels.map((_, index) => (index % 2 === 0 ? 2 : 0)) },
    ]
    const bottom = Math.max(...pointsOf(await render(labels, series), 1))
    const linearSmall = pointsOf(await render(labels, series), 1)
    const logSvg = await render(labels, series, { scale: 'log' })
    const logSmall = pointsOf(logSvg, 1)
    const height = bottom - 12
    assert.ok(Math.min(...linearSmall) > bottom - height * 0.01, 'the small series is flat on the linear scale')
    assert.ok(Math.min(...logSmall) < bottom - height * 0.1, `the small series rises on the log scale (${Math.min(...logSmall)} vs floor ${bottom})`)
    assert.match(logSvg, /data-scale="log"/)
    assert.match(logSvg, /logarithmic scale/)
    const ticks = axisTexts(logSvg)
      .filter((text) => text.anchor === 'end')
      .map((text) => text.text)
    assert.deepEqual(ticks, ['0', '1', '10', '100', '1000', '10000'])
  })

  it('gives each day a tooltip with every series value, and the same numbers as a table', async () => {
    const labels = ['2026-09-01', '2026-09-02']
    const svg = await render(labels, [
      { name: 'Delivered', values: [3, 0] },
      { name: 'Verified', values: [7, 12] },
    ])
    assert.match(svg, /<rect class="chart-hover"[^>]*><title>2026-09-01: Delivered 3, Verified 7<\/title><\/rect>/)
    assert.match(svg, /<title>2026-09-02: Delivered 0, Verified 12<\/title>/)
    const table = /<table>([\s\S]*)<\/table>/.exec(svg)?.[1] ?? ''
    assert.match(table, /<th scope="col">Delivered<\/th><th scope="col">Verified<\/th>/)
    assert.match(table, /<tr><th scope="row">2026-09-02<\/th><td>0<\/td><td>12<\/td><\/tr>/)
  })

  it('escapes labels and series names', async () => {
    const svg = await render(['<b>day</b>'], [{ name: '<script>x</script>', values: [1] }])
    assert.doesNotMatch(svg, /<script>|<b>/)
    assert.match(svg, /&lt;script>x&lt;\/script>/)
  })
})
