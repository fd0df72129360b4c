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

// A "select all" checkbox (data-select-all="field") ticks or unticks every checkbox of that name in its form.
document.addEventListener('change', (event) => {
  const toggle = event.target
  if (!(toggle instanceof HTMLInputElement) || !toggle.dataset.selectAll || !toggle.form) return
  for (const box of toggle.form.querySelectorAll(`input[type="checkbox"][name="${CSS.escape(toggle.dataset.selectAll)}"]`)) box.checked = toggle.checked
})
