/** Short words for what the explain report says in codes: outcomes, the rule that dropped an event, the hook's state. Pure. */
import type { ExplainOutcomeKind, HookState } from '../api/types';

/** Each outcome's word, and its tone (the word carries the meaning; the colour only repeats it). */
export const OUTCOME_WORDS: Record<ExplainOutcomeKind, { word: string; tone: 'good' | 'bad' | 'busy' | '' }> = {
  posted: { word: 'Posted', tone: 'good' },
  dropped: { word: 'Not posted', tone: '' },
  queued: { word: 'Queued', tone: 'busy' },
  pending: { word: 'Pending', tone: 'busy' },
  failing: { word: 'Failing', tone: 'bad' },
  failed: { word: 'Given up', tone: 'bad' },
};

const RULE_LABELS: Record<string, string> = {
  kind_not_selected: 'event kind not selected',
  pipeline_status: 'pipeline status filter',
  branch_filter: 'branch filter',
  label_filter: 'label filter',
  draft: 'draft',
  excluded_author: 'excluded author',
  excluded_path: 'excluded path',
  confidential_not_opted_in: 'confidential: not opted in',
  confidential_not_vouched: 'confidential: nobody vouches',
  not_visible: 'not visible to subscriber',
  private_channel_required: 'needs a private channel',
  same_channel_other_subscription: 'another subscription here',
  echo: 'came from Mattermost',
  not_processed_yet: 'not processed yet',
  ignored: 'ignored',
  processing_error: 'processing error',
};

/** The short label of the rule that dropped an event; a code this version does not know reads as its words. */
export function ruleLabel(rule: string): string {
  return RULE_LABELS[rule] ?? rule.replace(/_/g, ' ');
}

export const HOOK_WORDS: Record<HookState, { word: string; tone: 'good' | 'bad' | 'busy' | '' }> = {
  working: { word: 'Hook working', tone: 'good' },
  polling: { word: 'Polled', tone: '' },
  unknown: { word: 'Hook unknown', tone: '' },
  paused: { word: 'Hook paused', tone: 'busy' },
  failing: { word: 'Hook failing', tone: 'bad' },
  disabled: { word: 'Hook disabled', tone: 'bad' },
  missing: { word: 'No hook', tone: 'bad' },
};

/** A state this version does not know still shows, as its own word. */
export function hookWords(state: string): { word: string; tone: string } {
  return HOOK_WORDS[state as HookState] ?? { word: `Hook ${state}`, tone: '' };
}

export function outcomeWords(outcome: string): { word: string; tone: string } {
  return OUTCOME_WORDS[outcome as ExplainOutcomeKind] ?? { word: outcome, tone: '' };
}

/** "merge request · opened": GitLab's event kind and action as a reader says them. */
export function eventWords(kind: string, action: string): string {
  const words = kind.replace(/_/g, ' ');
  return action ? `${words} · ${action.replace(/_/g, ' ')}` : words;
}
