import { ENGLISH, type Messages } from '../../platform/i18n/messages.ts'
import type { DisclosableField } from './schema.ts'

/** One `show_<field>` checkbox per disclosable field (read back with `fieldsFromForm`). */
export function FieldCheckboxes(props: {
  fields: readonly DisclosableField[]
  isShown: (field: DisclosableField) => boolean
  legend?: string
  messages?: Messages
}) {
  const m = props.messages ?? ENGLISH
  return (
    <fieldset>
      {props.legend ? <legend safe>{props.legend}</legend> : ''}
      {props.fields.map((field) => (
        <label>
          <input type="checkbox" name={`show_${field}`} checked={props.isShown(field)} /> <span safe>{m.t(`field.${field}`)}</span>
        </label>
      ))}
    </fieldset>
  )
}
