/**
 * The current channel's subscriptions: each with its webhook's health, why posts stopped (confidential
 * turned off, a post given up), edit, delete (confirmed), "Create webhook" when GitLab has none and
 * the user may make one, and "Explain": what happened to its project's or group's last events. System
 * admins can also explain a whole project across channels. Refreshes on the live `subscriptions` event
 * for this channel.
 */
import React, { useCallback, useEffect, useId, useState } from 'react';
import type { ChannelSubscriptions, ExplainReport, GitLabInstance, Subscription } from '../api/types';
import { asList } from '../format/labels';
import { isSystemAdmin, useHostState, usePluginState, useServices } from '../services';
import { ExplainPanel } from './explain-panel';
import { SubscriptionForm } from './subscription-form';
import { messageOf } from './form-parts';

type Mode =
  | { kind: 'list' }
  | { kind: 'add' }
  | { kind: 'edit'; subscription: Subscription }
  | { kind: 'explain'; subscription: Subscription }
  /** A system admin's view of a whole project, in every channel subscribed to it. */
  | { kind: 'project'; path: string; instance?: GitLabInstance; instanceName?: string };


export function SubscriptionsTab(): React.ReactElement {
  const { api } = useServices();
  const channelId = useHostState((state) => state.entities?.channels?.currentChannelId ?? '');
  const channelName = useHostState((state) => state.entities?.channels?.channels?.[channelId]?.display_name ?? '');
  // Mattermost's channel types: P is private (O public, D and G direct and group messages).
  const privateChannel = useHostState((state) => state.entities?.channels?.channels?.[channelId]?.type === 'P');
  const version = usePluginState((state) => state.subscriptionsVersion[channelId] ?? 0);
  const everything = usePluginState((state) => state.everything);
  const admin = useHostState(isSystemAdmin);
  const [data, setData] = useState<ChannelSubscriptions | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>({ kind: 'list' });

  const load = useCallback(async () => {
    if (!channelId) return;
    try {
      setData(await api.subscriptions(channelId));
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, [api, channelId]);

  useEffect(() => {
    setData(null);
    setMode({ kind: 'list' });
  }, [channelId]);
  useEffect(() => {
    void load();
  }, [load, version, everything]);

  // The report is asked for again when what it explains changes, not when the list reloads.
  const explain = useCallback((): Promise<ExplainReport> => {
    if (mode.kind === 'explain') return api.explainSubscription(channelId, mode.subscription.id);
    if (mode.kind === 'project') return api.explainProject(mode.path, mode.instanceName);
    return Promise.reject(new Error('Nothing to explain.'));
  }, [api, channelId, mode]);
  // The default GitLab (listed first) goes without a name, as the form sends it.
  const explainProject = (path: string, instance: GitLabInstance | undefined) =>
    setMode({ kind: 'project', path, instance, instanceName: instance && data?.instances?.length && instance.name !== data.instances[0]!.name ? instance.name : undefined });

  if (!channelId) return <div className="glb-empty">Open a channel to see its subscriptions.</div>;

  if (mode.kind === 'add') {
    return (
      <SubscriptionForm
        privateChannel={privateChannel}
        instances={data?.instances}
        onCancel={() => setMode({ kind: 'list' })}
        onSubmit={async (input) => {
          const answer = await api.addSubscription(channelId, input);
          setNotice(answer.notice ?? `Subscribed this channel to ${answer.subscription.target.path}.`);
          setMode({ kind: 'list' });
          await load();
        }}
      />
    );
  }
  if (mode.kind === 'edit') {
    return (
      <SubscriptionForm
        existing={mode.subscription}
        instances={data?.instances}
        onCancel={() => setMode({ kind: 'list' })}
        onSubmit={async (input) => {
          const { target: _target, ...settings } = input;
          await api.editSubscription(channelId, mode.subscription.id, settings);
          setNotice(`Saved ${mode.subscription.target.path}.`);
          setMode({ kind: 'list' });
          await load();
        }}
      />
    );
  }

  const severalGitLabs = (data?.instances?.length ?? 0) > 1;
  if (mode.kind === 'explain') {
    const { subscription } = mode;
    const path = subscription.target.path;
    const named = severalGitLabs && subscription.instance ? `${path} on ${subscription.instance.label}` : path;
    return (
      <ExplainPanel
        heading={`${named} ${channelName ? `in ~${channelName}` : 'in this channel'}`}
        load={explain}
        onBack={() => setMode({ kind: 'list' })}
        actions={
          admin && subscription.target.kind === 'project' ? (
            <button type="button" className="glb-btn" onClick={() => explainProject(path, subscription.instance)}>
              Across all channels
            </button>
          ) : null
        }
      />
    );
  }
  if (mode.kind === 'project') {
    const named = severalGitLabs && mode.instance ? `${mode.path} on ${mode.instance.label}` : mode.path;
    return <ExplainPanel heading={`${named} in every channel`} load={explain} acrossChannels onBack={() => setMode({ kind: 'list' })} />;
  }

  return (
    <div>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 8, marginBottom: 8 }}>
        <span className="glb-muted">{channelName ? `In ~${channelName}` : 'In this channel'}</span>
        <button type="button" className="glb-btn glb-btn-primary" onClick={() => setMode({ kind: 'add' })}>
          Add subscription
        </button>
      </div>
      {notice ? (
        <div role="status" className="glb-muted">
          {notice}
        </div>
      ) : null}
      {error ? (
        <div role="alert" className="glb-error">
          {error}
        </div>
      ) : null}
      {!data && !error ? (
        <div aria-busy="true" aria-label="Loading">
          <div className="glb-skeleton" />
          <div className="glb-skeleton" />
        </div>
      ) : null}
      {data && data.subscriptions.length === 0 ? <div className="glb-empty">This channel has no GitLab subscriptions yet.</div> : null}
      {data && data.subscriptions.length ? (
        <ul role="list" className="glb-list">
          {data.subscriptions.map((subscription) => (
            <SubscriptionRow
              key={subscription.id}
              subscription={subscription}
              canCreateWebhooks={data.canCreateWebhooks}
              severalGitLabs={severalGitLabs}
              channelId={channelId}
              onEdit={() => setMode({ kind: 'edit', subscription })}
              onExplain={() => setMode({ kind: 'explain', subscription })}
              onChanged={load}
              onError={setError}
            />
          ))}
        </ul>
      ) : null}
      {admin && data ? <ProjectExplainForm instances={data.instances ?? []} onExplain={explainProject} /> : null}
    </div>
  );
}

/** System admins: any project's last events across every channel, whether or not this channel follows it. */
function ProjectExplainForm({ instances, onExplain }: { instances: GitLabInstance[]; onExplain: (path: string, instance?: GitLabInstance) => void }): React.ReactElement {
  const id = useId();
  const [path, setPath] = useState('');
  const [instance, setInstance] = useState(instances[0]?.name ?? '');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    // A pasted GitLab URL or a leading slash still names the project.
    const cleaned = path.trim().replace(/^\/+|\/+$/g, '');
    if (!cleaned) {
      setError('Type the project’s full path, e.g. group/project.');
      return;
    }
    setError(null);
    onExplain(cleaned, instances.find((each) => each.name === instance));
  };
  return (
    <form className="glb-form glb-explain-project" aria-labelledby={`${id}-title`} onSubmit={submit} noValidate>
      <h3 id={`${id}-title`} className="glb-heading">
        Whole project across channels
      </h3>
      <span className="glb-hint">System admins: what happened to a project’s last 20 events in every channel.</span>
      {instances.length > 1 ? (
        <div className="glb-field">
          <label htmlFor={`${id}-gitlab`}>GitLab</label>
          <select id={`${id}-gitlab`} className="glb-input" value={instance} onChange={(event) => setInstance(event.target.value)}>
            {instances.map((each) => (
              <option key={each.name} value={each.name}>
                {each.label}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div className="glb-field">
        <label htmlFor={`${id}-path`}>Project path</label>
        <input
          id={`${id}-path`}
          className="glb-input"
          placeholder="group/project"
          value={path}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(event) => setPath(event.target.value)}
        />
      </div>
      {error ? (
        <div id={`${id}-error`} role="alert" className="glb-error">
          {error}
        </div>
      ) : null}
      <div className="glb-actions">
        <button type="submit" className="glb-btn">
          Explain project
        </button>
      </div>
    </form>
  );
}

function SubscriptionRow({
  subscription,
  canCreateWebhooks,
  severalGitLabs,
  channelId,
  onEdit,
  onExplain,
  onChanged,
  onError,
}: {
  subscription: Subscription;
  canCreateWebhooks: boolean;
  /** The bridge has several GitLabs: each row says which one its target is on. */
  severalGitLabs: boolean;
  channelId: string;
  onEdit: () => void;
  onExplain: () => void;
  onChanged: () => Promise<void>;
  onError: (message: string | null) => void;
}): React.ReactElement {
  const { api } = useServices();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const path = subscription.target.path;
  // Two GitLabs may both have this path: the buttons' names say which one's subscription they act on.
  const named = severalGitLabs && subscription.instance ? `${path} on ${subscription.instance.label}` : path;
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    onError(null);
    try {
      await action();
      await onChanged();
    } catch (failure) {
      onError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  const events = asList(subscription.events);
  const webhook = subscription.webhook;
  return (
    <li className="glb-item">
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
        <span>
          <a className="glb-item-title glb-link" href={subscription.target.url} target="_blank" rel="noopener noreferrer">
            {path}
          </a>
          {severalGitLabs && subscription.instance ? <span className="glb-muted">{` on ${subscription.instance.label}`}</span> : null}
        </span>
        {confirming ? null : (
          <span>
            <button
              type="button"
              className="glb-btn glb-btn-icon"
              aria-label={`Explain deliveries of ${named}`}
              title="What happened to the last 20 events"
              onClick={onExplain}
            >
              Explain
            </button>
            <button type="button" className="glb-btn glb-btn-icon" aria-label={`Edit subscription ${named}`} onClick={onEdit}>
              Edit
            </button>
            <button type="button" className="glb-btn glb-btn-icon" aria-label={`Delete subscription ${named}`} onClick={() => setConfirming(true)}>
              Delete
            </button>
          </span>
        )}
      </div>
      <div className="glb-meta">
        <span>{events.length ? events.join(', ') : 'default events'}</span>
        {asList(subscription.labels).length ? <span>{`labels: ${asList(subscription.labels).join(', ')}`}</span> : null}
        {asList(subscription.branches).length ? <span>{`branches: ${asList(subscription.branches).join(', ')}`}</span> : null}
        {subscription.syncReplies ? <span>replies → GitLab</span> : null}
      </div>
      <div className="glb-meta">
        <span className={`glb-badge ${webhook?.state === 'missing' ? 'glb-badge-bad' : webhook?.state === 'ok' ? 'glb-badge-good' : ''}`}>
          {webhook?.text ?? 'Webhook unknown'}
        </span>
        {webhook?.state === 'missing' && canCreateWebhooks && subscription.canCreateWebhook !== false ? (
          <button type="button" className="glb-btn" disabled={busy} onClick={() => run(() => api.createWebhook(channelId, subscription.id))}>
            Create webhook
          </button>
        ) : null}
      </div>
      {subscription.projectHooks ? (
        <div className="glb-meta">
          <span className={`glb-badge ${subscription.projectHooks.state === 'complete' ? 'glb-badge-good' : subscription.projectHooks.state === 'stopped' ? 'glb-badge-bad' : ''}`}>
            {subscription.projectHooks.text}
          </span>
        </div>
      ) : null}
      {subscription.confidentialStopped ? (
        <div className="glb-error">{`Confidential delivery stopped: ${subscription.confidentialStopped.reason}`}</div>
      ) : null}
      {subscription.lastFailure ? <div className="glb-error">{`Posting failed: ${subscription.lastFailure}`}</div> : null}
      {confirming ? (
        <div role="group" aria-label={`Confirm deleting ${named}`} className="glb-meta">
          <span>{`Stop posting ${named} events here?`}</span>
          <button type="button" className="glb-btn glb-btn-danger" disabled={busy} onClick={() => run(() => api.deleteSubscription(channelId, subscription.id))}>
            Delete
          </button>
          <button type="button" className="glb-btn" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </div>
      ) : null}
    </li>
  );
}
