/** Small pieces the lists, tooltip and subscriptions share. */
import React from 'react';
import type { Label } from '../api/types';

/** A GitLab label in its own colours (from GitLab's data, not chrome). */
export function LabelChip({ label }: { label: Label }): React.ReactElement {
  const style: React.CSSProperties = label.color ? { background: label.color, color: label.textColor ?? undefined, borderColor: label.color } : {};
  return (
    <span className="glb-label" style={style} data-label-color={label.color ?? undefined}>
      {label.title}
    </span>
  );
}

export function Labels({ labels }: { labels: Label[] }): React.ReactElement | null {
  if (!labels.length) return null;
  return (
    <span className="glb-chips" aria-label="Labels">
      {labels.map((label) => (
        <LabelChip key={label.title} label={label} />
      ))}
    </span>
  );
}

const PIPELINE_TONE: Record<string, string> = {
  success: 'glb-badge-good',
  failed: 'glb-badge-bad',
  canceled: 'glb-badge-bad',
  running: 'glb-badge-busy',
  pending: 'glb-badge-busy',
};

export function PipelineBadge({ status }: { status: string | null | undefined }): React.ReactElement | null {
  if (!status) return null;
  const word = status.toLowerCase();
  return <span className={`glb-badge ${PIPELINE_TONE[word] ?? ''}`}>{`Pipeline ${word.replace(/_/g, ' ')}`}</span>;
}

export function Approvals({ approvals }: { approvals: { required: number; given: number } | null | undefined }): React.ReactElement | null {
  if (!approvals || approvals.required <= 0) return null;
  const done = approvals.given >= approvals.required;
  return <span className={`glb-badge ${done ? 'glb-badge-good' : ''}`}>{`Approvals ${approvals.given} of ${approvals.required}`}</span>;
}

export function Badge({ children, bad }: { children: React.ReactNode; bad?: boolean }): React.ReactElement {
  return <span className={`glb-badge ${bad ? 'glb-badge-bad' : ''}`}>{children}</span>;
}
