// Patient identifiers on screen (name, date of birth, NHS and hospital numbers) must not leave the
// app through the clipboard: another app could read it, and some keyboards keep a clipboard history.
// `use:noCopy` makes an element's text unselectable and cancels copy, cut, drag and the context
// menu on it. Copy and cut are also cancelled whenever the selection reaches into a guarded
// element, even if it started outside, since their event then fires on the element where the
// selection starts.
import type { Action } from 'svelte/action';

const guarded = new Set<HTMLElement>();
const EVENTS = ['copy', 'cut', 'contextmenu', 'dragstart', 'selectstart'] as const;

function touches(node: HTMLElement, event: Event): boolean {
  if (event.target instanceof Node && node.contains(event.target)) return true;
  if (event.type !== 'copy' && event.type !== 'cut') return false;
  const selection = document.getSelection();
  return !!selection && selection.rangeCount > 0 && selection.containsNode(node, true);
}

function cancel(event: Event) {
  for (const node of guarded) {
    if (touches(node, event)) {
      event.preventDefault();
      return;
    }
  }
}

/** Makes the element's text uncopyable (see the module comment). */
export const noCopy: Action<HTMLElement> = (node) => {
  node.style.setProperty('user-select', 'none');
  node.style.setProperty('-webkit-user-select', 'none');
  // iOS: no callout (Copy, Look Up, Share) on a long press.
  node.style.setProperty('-webkit-touch-callout', 'none');
  node.dataset.noCopy = '';
  if (guarded.size === 0) {
    // One listener for all guarded elements, capturing, so nothing below can let the event through.
    for (const type of EVENTS) document.addEventListener(type, cancel, true);
  }
  guarded.add(node);
  return {
    destroy() {
      guarded.delete(node);
      if (guarded.size === 0) {
        for (const type of EVENTS) document.removeEventListener(type, cancel, true);
      }
    },
  };
};
