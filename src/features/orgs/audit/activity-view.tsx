import type { Segment } from './sentences.ts'
import type { ActivityLine } from './service.ts'

/** An activity sentence, its links kept; every piece escaped. */
export function Sentence({ segments }: { segments: Segment[] }) {
  return (
    <>
      {segments.map((segment) =>
        typeof segment === 'string' ? (
          <span safe>{segment}</span>
        ) : (
          <a href={segment.href} safe>
            {segment.text}
          </a>
        ),
      )}
    </>
  )
}

export const formatDateTime = (date: Date) => date.toISOString().replace('T', ' ').slice(0, 16)

/** Recent activity as a list of sentences with their times (the dashboard's). */
export function ActivityList({ lines }: { lines: ActivityLine[] }) {
  return (
    <ul class="activity">
      {lines.map((line) => (
        <li>
          <Sentence segments={line.sentence} />{' '}
          <small>
            <time datetime={line.recordedAt.toISOString()} safe>{`${formatDateTime(line.recordedAt)} UTC`}</time>
          </small>
        </li>
      ))}
    </ul>
  )
}
