/**
 * One confirmation dialog for the whole app (ConfirmDialog.svelte in the app layout):
 * `await confirmAction({...})` is true when the user confirmed. A real <dialog>, so it is
 * keyboard- and screen-reader-friendly, unlike window.confirm's browser chrome.
 */
export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  /** Styles the confirm button as destructive. */
  danger?: boolean;
}

class ConfirmState {
  request = $state<ConfirmRequest | null>(null);
  private resolve: ((confirmed: boolean) => void) | null = null;

  ask(request: ConfirmRequest): Promise<boolean> {
    this.resolve?.(false);
    this.request = request;
    return new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  answer(confirmed: boolean): void {
    this.resolve?.(confirmed);
    this.resolve = null;
    this.request = null;
  }
}

export const confirmState = new ConfirmState();
export const confirmAction = (request: ConfirmRequest) => confirmState.ask(request);
