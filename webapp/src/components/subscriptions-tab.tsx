/**
 * The current channel's subscriptions: each with its webhook's health, why posts stopped (confidential
 * turned off, a post given up), edit, delete (confirmed), and "Create webhook" when GitLab has none and
 * the user may make one. Refreshes on the live
 * `subscriptions` event for this channel.
 */
import React, { useCallback, useEffect, useState } from 'react';
import type { ChannelSubscriptions, Subscription } from '../api/types';
import { asList } from '../format/labels';
import { useHostState, usePluginState, useServices } from '../services';
import { SubscriptionForm } from './subscription-form';
import { messageOf } from './form-parts';

type Mode = { kind: 'list' } | { kind: 'add' } | { kind: 'edit'; subscription: Subscription };


export function SubscriptionsTab(): React.ReactElement {
  const { api } = useServices();
  const channelId = useHostState((state) => state.entities?.channels?.currentChannelId ?? '');
  const channelName = useHostState((state) => state.entities?.channels?.channels?.[channelId]?.display_name ?? '');
  // Mattermost's channel types: P is private (O public, D and G direct and group messages).
  const privateChannel = useHostState((state) => state.entities?.channels?.channels?.[channelId]?.type === 'P');
  const version = usePluginState((state) => state.subscriptionsVersion[channelId] ?? 0);
  const everything = usePluginState((state) => state.everything);
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
              severalGitLabs={(data.instances?.length ?? 0) > 1}
              channelId={channelId}
              onEdit={() => setMode({ kind: 'edit', subscription })}
              onChanged={load}
              onError={setError}
            />
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function SubscriptionRow({
  subscription,
  canCreateWebhooks,
  severalGitLabs,
  channelId,
  onEdit,
  onChanged,
  onError,
}: {
  subscription: Subscription;
  canCreateWebhooks: boolean;
  /** The bridge has several GitLabs: each row says which one its target is on. */
  severalGitLabs: boolean;
  channelId: string;
  onEdit: () => void;
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
