/** What the plugin's forms share: one submission at a time with its error, and the error-and-buttons footer. */
import React, { useState } from 'react';

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `run` marks the form busy, clears the last error, and shows the next one if the action fails. */
export function useSubmission() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

export function FormFooter({ error, busy, submitLabel, onCancel }: { error: string | null; busy: boolean; submitLabel: string; onCancel: () => void }): React.ReactElement {
  return (
    <>
      {error ? (
        <div role="alert" className="glb-error">
          {error}
        </div>
      ) : null}
      <div className="glb-actions">
        <button type="button" className="glb-btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="glb-btn glb-btn-primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </>
  );
}
