/**
 * "What happened to the last 20 events": the events the bridge received for a project or group, newest
 * first, each with what became of it (posted, with a link; which rule dropped it; queued; failing with
 * Mattermost's error). When nothing ever arrived, says so and shows the hook's health with its fix.
 * One subscription's report, or a system admin's report of a whole project across channels.
 */
import React, { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { ExplainEvent, ExplainOutcome, ExplainReport } from '../api/types';
import { ageAgo } from '../format/age';
import { eventWords, hookWords, outcomeWords, ruleLabel } from '../format/explain-words';
import { webLink } from '../format/web-link';
import { messageOf } from './form-parts';

export function ExplainPanel({
  heading,
  load,
  acrossChannels = false,
  onBack,
  actions,
}: {
  /** What the report is about, e.g. "platform/api in ~Town Square". */
  heading: string;
  load: () => Promise<ExplainReport>;
  /** A project's report across channels: each event lists every subscription's outcome by channel. */
  acrossChannels?: boolean;
  onBack: () => void;
  /** More buttons beside Refresh (the admin's "Across all channels"). */
  actions?: React.ReactNode;
}): React.ReactElement {
  const [report, setReport] = useState<ExplainReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  // Only the latest request's answer is shown, however the answers arrive.
  const latest = useRef(0);
  const headingId = useId();

  const refresh = useCallback(async () => {
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const answer = await load();
      if (ticket !== latest.current) return;
      setReport(answer);
      setError(null);
    } catch (failure) {
      if (ticket !== latest.current) return;
      setReport(null);
      setError(messageOf(failure));
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, [load]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return (
    <section aria-labelledby={headingId} aria-busy={loading}>
      <div className="glb-explain-bar">
        <button type="button" className="glb-btn glb-btn-icon" onClick={onBack}>
          ← Subscriptions
        </button>
        <span className="glb-actions">
          {actions}
          <button type="button" className="glb-btn" disabled={loading} onClick={() => void refresh()}>
            {loading ? 'Refreshing…' : 'Refresh'}
          </button>
        </span>
      </div>
      <h3 id={headingId} className="glb-heading">
        What happened to the last 20 events
      </h3>
      <div className="glb-muted">{heading}</div>
      {error ? (
        <div role="alert" className="glb-error">
          {error}
        </div>
      ) : null}
      {!report && !error ? (
        <div aria-label="Loading">
          <div className="glb-skeleton" />
          <div className="glb-skeleton" />
        </div>
      ) : null}
      {report ? <ReportBody report={report} acrossChannels={acrossChannels} /> : null}
    </section>
  );
}

function ReportBody({ report, acrossChannels }: { report: ExplainReport; acrossChannels: boolean }): React.ReactElement {
  const where = report.target.label ? `${report.target.path} on ${report.target.label}` : report.target.path;
  return (
    <>
      {report.nothingArrived ? (
        <div className="glb-explain-alert">
          <p className="glb-explain-nothing">
            <strong>{`Nothing has arrived from GitLab for ${where}.`}</strong>
            {' No webhook call and no poll brought a single event, so there is nothing to post until GitLab sends one.'}
          </p>
          {report.hook ? <HookHealth hook={report.hook} /> : null}
        </div>
      ) : report.hook ? (
        <HookHealth hook={report.hook} />
      ) : null}
      {!report.nothingArrived && report.events.length === 0 ? (
        <div className="glb-empty">{`No recent events of ${where} are kept.`}</div>
      ) : null}
      {report.events.length ? (
        <ul role="list" className="glb-list" aria-label="Last events">
          {report.events.map((event) => (
            <EventItem key={event.deliveryId} event={event} acrossChannels={acrossChannels} />
          ))}
        </ul>
      ) : null}
    </>
  );
}

function HookHealth({ hook }: { hook: NonNullable<ExplainReport['hook']> }): React.ReactElement {
  const { word, tone } = hookWords(hook.state);
  return (
    <div className="glb-explain-hook">
      <div className="glb-meta">
        <span className={`glb-badge ${tone ? `glb-badge-${tone}` : ''}`}>{word}</span>
        <span>{hook.text}</span>
      </div>
      {hook.fix ? <Fix text={hook.fix} /> : null}
    </div>
  );
}

/** The fix, as text to copy (usually a command). */
function Fix({ text }: { text: string }): React.ReactElement {
  const [copied, setCopied] = useState<string | null>(null);
  const code = useRef<HTMLElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied.');
    } catch {
      // No clipboard (an insecure origin, or refused): select the text so that Ctrl+C copies it.
      const selection = window.getSelection();
      if (selection && code.current) {
        selection.selectAllChildren(code.current);
        setCopied('Selected: press Ctrl+C (⌘C) to copy.');
      } else {
        setCopied('Copy the text by hand.');
      }
    }
  };
  return (
    <div className="glb-fix">
      <span className="glb-fix-label">Fix</span>
      <code ref={code} className="glb-code">
        {text}
      </code>
      <span className="glb-meta">
        <button type="button" className="glb-btn" aria-label="Copy the fix" onClick={() => void copy()}>
          Copy
        </button>
        <span role="status">{copied ?? ''}</span>
      </span>
    </div>
  );
}

function EventItem({ event, acrossChannels }: { event: ExplainEvent; acrossChannels: boolean }): React.ReactElement {
  const received = new Date(event.receivedAt);
  const link = webLink(event.url);
  return (
    <li className="glb-item">
      <div>
        {event.summary === null ? (
          <span className="glb-muted glb-hidden-event">Hidden: you may not see this event in GitLab</span>
        ) : link ? (
          <a className="glb-item-title glb-link" href={link} target="_blank" rel="noopener noreferrer">
            {event.summary}
          </a>
        ) : (
          <span className="glb-item-title glb-plain">{event.summary}</span>
        )}
      </div>
      <div className="glb-meta">
        <span>{eventWords(event.kind, event.action)}</span>
        <time dateTime={event.receivedAt} title={Number.isNaN(received.getTime()) ? undefined : received.toLocaleString()}>
          {ageAgo(event.receivedAt)}
        </time>
        {event.source === 'poll' ? <span>found by polling</span> : null}
      </div>
      {acrossChannels ? (
        event.outcomes.length ? (
          <ul role="list" className="glb-outcomes" aria-label="Channels">
            {event.outcomes.map((outcome) => (
              <li key={outcome.subscriptionId}>
                <OutcomeLine outcome={outcome} channel={outcome.channelName ? `~${outcome.channelName}` : `channel ${outcome.channelId}`} />
              </li>
            ))}
          </ul>
        ) : (
          <div className="glb-meta">No channel is subscribed to this.</div>
        )
      ) : (
        event.outcomes.map((outcome) => <OutcomeLine key={outcome.subscriptionId} outcome={outcome} />)
      )}
    </li>
  );
}

function OutcomeLine({ outcome, channel }: { outcome: ExplainOutcome; channel?: string }): React.ReactElement {
  const { word, tone } = outcomeWords(outcome.outcome);
  const trouble = outcome.outcome === 'failing' || outcome.outcome === 'failed';
  const post = outcome.outcome === 'posted' ? webLink(outcome.postUrl) : null;
  return (
    <div className="glb-meta glb-outcome">
      {channel ? <span className="glb-outcome-channel">{channel}</span> : null}
      <span className={`glb-badge ${tone ? `glb-badge-${tone}` : ''}`}>{word}</span>
      {outcome.outcome === 'dropped' && outcome.rule ? <span className="glb-badge glb-badge-rule">{ruleLabel(outcome.rule)}</span> : null}
      {post ? (
        <a className="glb-link" href={post}>
          View post
        </a>
      ) : null}
      {/* "posted" next to the Posted badge says nothing more. */}
      {outcome.reason && outcome.reason !== 'posted' ? <span className={trouble ? 'glb-error' : undefined}>{trouble ? mattermostSaid(outcome.reason) : outcome.reason}</span> : null}
    </div>
  );
}

/** Mattermost's error, said to be Mattermost's unless the sentence already names it. */
function mattermostSaid(reason: string): string {
  return /^mattermost\b/i.test(reason) ? reason : `Mattermost said: ${reason}`;
}
