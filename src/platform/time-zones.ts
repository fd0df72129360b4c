/** Wall-clock times in IANA time zones, with nothing but Intl. */

export function isTimeZone(zone: string): boolean {
  return zone === 'UTC' || Intl.supportedValuesOf('timeZone').includes(zone)
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function partsIn(date: Date, zone: string): Record<string, number> {
  let formatter = formatters.get(zone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(zone, formatter)
  }
  const parts: Record<string, number> = {}
  for (const part of formatter.formatToParts(date)) if (part.type !== 'literal') parts[part.type] = Number(part.value)
  return parts
}

/** Milliseconds the zone is ahead of UTC at that instant. */
function offsetMs(date: Date, zone: string): number {
  const p = partsIn(date, zone)
  return Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0) - Math.floor(date.getTime() / 1000) * 1000
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/

/**
 * The instant of a wall-clock time `YYYY-MM-DDTHH:MM` (or with a space) in `zone`, or undefined when
 * the text is no such time. A time skipped by a daylight-saving jump resolves to the later offset.
 */
export function zonedToUtc(local: string, zone: string): Date | undefined {
  const match = LOCAL.exec(local.trim())
  if (!match) return undefined
  const [, year, month, day, hour, minute] = match.map(Number) as number[]
  const asUtc = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0)
  const check = new Date(asUtc)
  if (check.getUTCMonth() !== (month ?? 1) - 1 || check.getUTCDate() !== day || (hour ?? 0) > 23 || (minute ?? 0) > 59) return undefined
  const first = asUtc - offsetMs(new Date(asUtc), zone)
  return new Date(asUtc - offsetMs(new Date(first), zone))
}

/** `YYYY-MM-DDTHH:MM` in `zone`: the value of a datetime-local input. */
export function utcToZoned(date: Date, zone: string): string {
  const p = partsIn(date, zone)
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, '0')
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`
}
