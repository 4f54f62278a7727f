/** Adding or editing one channel subscription: the same settings `/gitlab subscriptions add` takes. */
import React, { useId, useState } from 'react';
import type { GitLabInstance, Subscription, SubscriptionInput } from '../api/types';
import { asList, joinList, splitList } from '../format/labels';
import { useServices } from '../services';
import { Combobox, type Option } from './combobox';
import { FormFooter, useSubmission } from './form-parts';

export const EVENT_CHOICES: { value: string; label: string }[] = [
  { value: 'merge_request', label: 'Merge requests' },
  { value: 'issue', label: 'Issues' },
  { value: 'note', label: 'Comments' },
  { value: 'push', label: 'Pushes' },
  { value: 'tag_push', label: 'Tags' },
  { value: 'pipeline', label: 'Pipelines' },
  { value: 'job', label: 'Jobs' },
  { value: 'deployment', label: 'Deployments' },
  { value: 'release', label: 'Releases' },
  { value: 'wiki_page', label: 'Wiki pages' },
  { value: 'milestone', label: 'Milestones' },
];
/** What the bridge subscribes to when no events are named. */
export const DEFAULT_EVENTS = ['merge_request', 'issue', 'tag_push', 'pipeline', 'release'];
export const PIPELINE_CHOICES = ['failed', 'fixed', 'success', 'running', 'canceled'];
export const STYLE_CHOICES: { value: string; label: string }[] = [
  { value: 'full', label: 'Full' },
  { value: 'compact', label: 'Compact' },
  { value: 'title', label: 'Title only' },
];

/** The bridge's default when a subscription names no pipeline statuses. */
export const DEFAULT_PIPELINES = ['failed', 'fixed'];

function toggle(values: string[], value: string, on: boolean): string[] {
  return on ? [...values.filter((item) => item !== value), value] : values.filter((item) => item !== value);
}

/** Events may carry an action (`merge_request:merged`); a box stands for its kind and keeps such details. */
const kindOf = (event: string) => event.split(':')[0]!;
function toggleKind(events: string[], kind: string, on: boolean): string[] {
  if (!on) return events.filter((event) => kindOf(event) !== kind);
  return events.some((event) => kindOf(event) === kind) ? events : [...events, kind];
}

export function SubscriptionForm({
  existing,
  privateChannel = false,
  instances = [],
  onSubmit,
  onCancel,
}: {
  existing?: Subscription;
  /** The channel is private: a new subscription sends thread replies to GitLab unless unticked (as the bridge's own default). */
  privateChannel?: boolean;
  /** The bridge's GitLabs, the default first: with several, a new subscription says which one its target is on. */
  instances?: GitLabInstance[];
  onSubmit: (input: SubscriptionInput) => Promise<void>;
  onCancel: () => void;
}): React.ReactElement {
  const { api } = useServices();
  const id = useId();
  const [instance, setInstance] = useState(instances[0]?.name ?? '');
  const [target, setTarget] = useState<Option | null>(existing ? { value: existing.target.path, label: existing.target.path } : null);
  const several = instances.length > 1;
  const [events, setEvents] = useState<string[]>(existing ? asList(existing.events) : DEFAULT_EVENTS);
  const [labels, setLabels] = useState(joinList(existing?.labels));
  const [branches, setBranches] = useState(joinList(existing?.branches));
  const [pipelines, setPipelines] = useState<string[]>(existing ? asList(existing.pipelines) : DEFAULT_PIPELINES);
  const [style, setStyle] = useState(existing?.style ?? 'full');
  const [buttons, setButtons] = useState(existing?.buttons ?? true);
  const [syncReplies, setSyncReplies] = useState(existing?.syncReplies ?? privateChannel);
  const { busy, error, setError, run } = useSubmission();

  const searchTargets = async (search: string): Promise<Option[]> => {
    // The picker lists what the chosen GitLab shows the user's account there.
    const on = several ? instance : undefined;
    const [projects, groups] = await Promise.all([api.lookupProjects(search, on), api.lookupGroups(search, on)]);
    return [
      ...projects.items.map((project) => ({ value: project.path, label: project.path, detail: 'project' })),
      ...groups.items.map((group) => ({ value: group.path, label: group.path, detail: 'group' })),
    ];
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!target) return setError('Pick a project or group.');
    if (!events.length) return setError('Pick at least one event.');
    const on = several ? { instance } : {};
    await run(() => onSubmit({ target: target.value, ...on, events, labels: splitList(labels), branches: splitList(branches), pipelines, style, buttons, syncReplies }));
  };

  return (
    <form className="glb-form" onSubmit={submit} aria-label={existing ? `Edit subscription ${existing.target.path}` : 'Add subscription'}>
      {existing ? (
        <div className="glb-field">
          <span className="glb-legend">Project or group</span>
          <span>{existing.instance && several ? `${existing.target.path} on ${existing.instance.label}` : existing.target.path}</span>
        </div>
      ) : (
        <>
          {several ? (
            <div className="glb-field">
              <label htmlFor={`${id}-instance`}>GitLab</label>
              <select
                id={`${id}-instance`}
                className="glb-input"
                value={instance}
                onChange={(change) => {
                  setInstance(change.target.value);
                  // A path picked on one GitLab means nothing on another.
                  setTarget(null);
                }}
              >
                {instances.map((choice) => (
                  <option key={choice.name} value={choice.name}>
                    {choice.label}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <Combobox key={instance} label="Project or group" required search={searchTargets} selectedLabel={target?.label} onSelect={setTarget} />
        </>
      )}
      <fieldset className="glb-fieldset">
        <legend className="glb-legend">Events</legend>
        {EVENT_CHOICES.map((choice) => (
          <label key={choice.value} className="glb-check">
            <input
              type="checkbox"
              checked={events.some((event) => kindOf(event) === choice.value)}
              onChange={(change) => setEvents(toggleKind(events, choice.value, change.target.checked))}
            />
            {choice.label}
          </label>
        ))}
      </fieldset>
      <div className="glb-field">
        <label htmlFor={`${id}-labels`}>Labels</label>
        <input
          id={`${id}-labels`}
          className="glb-input"
          value={labels}
          placeholder="Any; or e.g. bug, ~frontend"
          onChange={(change) => setLabels(change.target.value)}
        />
      </div>
      <div className="glb-field">
        <label htmlFor={`${id}-branches`}>Branches</label>
        <input
          id={`${id}-branches`}
          className="glb-input"
          value={branches}
          placeholder="Any; or e.g. main, release/*"
          onChange={(change) => setBranches(change.target.value)}
        />
      </div>
      <fieldset className="glb-fieldset">
        <legend className="glb-legend">Pipeline statuses</legend>
        {PIPELINE_CHOICES.map((status) => (
          <label key={status} className="glb-check">
            <input type="checkbox" checked={pipelines.includes(status)} onChange={(change) => setPipelines(toggle(pipelines, status, change.target.checked))} />
            {status}
          </label>
        ))}
      </fieldset>
      <div className="glb-field">
        <label htmlFor={`${id}-style`}>Style</label>
        <select id={`${id}-style`} className="glb-input" value={style} onChange={(change) => setStyle(change.target.value)}>
          {STYLE_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      </div>
      <div className="glb-field">
        <label className="glb-check">
          <input type="checkbox" checked={buttons} onChange={(change) => setButtons(change.target.checked)} />
          Buttons
        </label>
        <span className="glb-muted">Approve, merge, retry and the like, on this subscription&apos;s posts.</span>
      </div>
      <div className="glb-field">
        <label className="glb-check">
          <input type="checkbox" checked={syncReplies} onChange={(change) => setSyncReplies(change.target.checked)} />
          Send thread replies to GitLab as comments
        </label>
        <span className="glb-muted">
          Replies in a merge request&apos;s or issue&apos;s thread here become comments on GitLab, written as whoever replied (only people who connected their GitLab account). The thread says so.
        </span>
      </div>
      <FormFooter error={error} busy={busy} submitLabel={existing ? 'Save' : 'Subscribe'} onCancel={onCancel} />
    </form>
  );
}
