// `autocorrect` is a global attribute in HTML (and honoured by Safari/WebKit keyboards on every
// text field), but Svelte's element types declare it on <input> only. WardCam's text areas hold
// patient and clinician words the keyboard must not learn, so they set it too.
declare module 'svelte/elements' {
  export interface HTMLTextareaAttributes {
    autocorrect?: 'on' | 'off' | '' | undefined | null;
  }
}

export {};
