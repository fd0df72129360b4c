// Asks before destructive actions: any form with data-confirm="question" needs a yes first.
document.addEventListener('submit', (event) => {
  const form = event.target
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault()
  }
})
// Copies the text of the element named by data-copy to the clipboard.
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null
  if (!button) return
  const source = document.getElementById(button.getAttribute('data-copy'))
  if (source) navigator.clipboard?.writeText(source.textContent.trim())
})
// Live preview: a form with data-live-preview re-renders its preview frame whenever a field changes,
// by submitting itself through its data-preview-button (which targets the frame).
document.addEventListener('change', (event) => {
  const form = event.target instanceof Element ? event.target.closest('form[data-live-preview]') : null
  const button = form?.querySelector('[data-preview-button]')
  if (form instanceof HTMLFormElement && button) form.requestSubmit(button)
})

// A page reached through a tracked link (?via=…) drops the marker from its address, so a link copied from it is a clean one.
const address = new URL(location.href)
if (address.searchParams.has('via')) {
  address.searchParams.delete('via')
  history.replaceState(null, '', address)
}

// A table wider than its box scrolls inside it (laurel.css); such a table takes keyboard focus, so it can be scrolled without a mouse.
function letWideTablesScrollByKeyboard() {
  for (const table of document.querySelectorAll('table')) table.tabIndex = table.scrollWidth > table.clientWidth ? 0 : -1
}
letWideTablesScrollByKeyboard()
window.addEventListener('resize', letWideTablesScrollByKeyboard)
document.addEventListener('htmx:afterSettle', letWideTablesScrollByKeyboard)
// A "select all" checkbox (data-select-all="field") ticks or unticks every checkbox of that name in its form,
// and shows whether all, some or none of them are ticked as they change.
document.addEventListener('change', (event) => {
  const box = event.target
  if (!(box instanceof HTMLInputElement) || box.type !== 'checkbox' || !box.form) return
  const field = box.dataset.selectAll ?? box.name
  const toggle = box.form.querySelector(`input[data-select-all="${CSS.escape(field)}"]`)
  if (!toggle) return
  const boxes = [...box.form.querySelectorAll(`input[type="checkbox"][name="${CSS.escape(field)}"]`)]
  if (box === toggle) for (const each of boxes) each.checked = toggle.checked
  const ticked = boxes.filter((each) => each.checked).length
  toggle.checked = ticked === boxes.length
  toggle.indeterminate = ticked > 0 && ticked < boxes.length
})
