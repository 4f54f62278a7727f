/**
 * The post menu's two dialogs: create a GitLab issue from a post, or attach the post to an issue.
 * Both pick the project (and issue) with searchable look-ups done as the user.
 */
import React, { useState } from 'react';
import { titleFromPost } from '../format/post-text';
import { useHostState, usePluginState, useServices } from '../services';
import { Combobox, MultiPicker, type Option } from './combobox';
import { Dialog } from './dialog';
import { FormFooter, useSubmission } from './form-parts';
import { ConnectButton } from './connect-button';


function usePostMessage(postId: string): string {
  return useHostState((state) => state.entities?.posts?.posts?.[postId]?.message ?? '');
}

function useProjectSearch() {
  const { api } = useServices();
  return async (search: string): Promise<Option[]> =>
    (await api.lookupProjects(search)).items.map((project) => ({ value: project.path, label: project.path, detail: project.name }));
}

function NotConnected({ title, onClose }: { title: string; onClose: () => void }): React.ReactElement {
  return (
    <Dialog title={title} onClose={onClose}>
      <p>Connect your GitLab account first.</p>
      <div className="glb-actions">
        <button type="button" className="glb-btn" onClick={onClose}>
          Cancel
        </button>
        <ConnectButton className="glb-btn glb-btn-primary" />
      </div>
    </Dialog>
  );
}

function Done({ title, text, href, label, onClose }: { title: string; text: string; href: string; label: string; onClose: () => void }) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p role="status">
        {`${text} `}
        <a className="glb-link" href={href} target="_blank" rel="noopener noreferrer">
          {label}
        </a>
      </p>
      <div className="glb-actions">
        <button type="button" className="glb-btn glb-btn-primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

export function CreateIssueModal({ postId, onClose }: { postId: string; onClose: () => void }): React.ReactElement {
  const { api } = useServices();
  const connected = usePluginState((state) => state.me?.connected ?? true);
  const message = usePostMessage(postId);
  const searchProjects = useProjectSearch();
  const [project, setProject] = useState<Option | null>(null);
  const [title, setTitle] = useState(() => titleFromPost(message));
  const [description, setDescription] = useState(message);
  const [labels, setLabels] = useState<Option[]>([]);
  const [milestone, setMilestone] = useState<Option | null>(null);
  const [assignees, setAssignees] = useState<Option[]>([]);
  const { busy, error, setError, run } = useSubmission();
  const [created, setCreated] = useState<{ reference: string; url: string } | null>(null);

  if (!connected) return <NotConnected title="Create GitLab issue" onClose={onClose} />;
  if (created) return <Done title="Create GitLab issue" text="Created" href={created.url} label={created.reference} onClose={onClose} />;

  const path = project?.value ?? '';
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!project) return setError('Pick a project.');
    if (!title.trim()) return setError('The issue needs a title.');
    await run(async () => {
      const answer = await api.createIssue({
        postId,
        project: project.value,
        title: title.trim(),
        description,
        labels: labels.length ? labels.map((label) => label.value) : undefined,
        milestoneId: milestone ? Number(milestone.value) : undefined,
        assigneeIds: assignees.length ? assignees.map((assignee) => Number(assignee.value)) : undefined,
      });
      setCreated(answer);
    });
  };

  return (
    <Dialog title="Create GitLab issue" onClose={onClose}>
      <form className="glb-form" onSubmit={submit}>
        <Combobox label="Project" required search={searchProjects} selectedLabel={project?.label} onSelect={setProject} />
        <div className="glb-field">
          <label htmlFor={`glb-title-${postId}`}>Title</label>
          <input id={`glb-title-${postId}`} className="glb-input" value={title} required onChange={(event) => setTitle(event.target.value)} />
        </div>
        <div className="glb-field">
          <label htmlFor={`glb-description-${postId}`}>Description</label>
          <textarea
            id={`glb-description-${postId}`}
            className="glb-input"
            rows={5}
            value={description}
            onChange={(event) => setDescription(event.target.value)}
          />
          <span className="glb-hint">A link to the post is added below.</span>
        </div>
        <MultiPicker
          label="Labels"
          disabled={!path}
          values={labels}
          onChange={setLabels}
          search={async (search) => (await api.lookupLabels(path, search)).items.map((label) => ({ value: label.title, label: label.title }))}
        />
        <Combobox
          label="Milestone"
          disabled={!path}
          selectedLabel={milestone?.label}
          onSelect={setMilestone}
          search={async (search) => (await api.lookupMilestones(path, search)).items.map((item) => ({ value: String(item.id), label: item.title }))}
        />
        <MultiPicker
          label="Assignees"
          disabled={!path}
          values={assignees}
          onChange={setAssignees}
          search={async (search) =>
            (await api.lookupMembers(path, search)).items.map((member) => ({ value: String(member.id), label: `@${member.username}`, detail: member.name }))
          }
        />
        <FormFooter error={error} busy={busy} submitLabel="Create issue" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

export function AttachIssueModal({ postId, onClose }: { postId: string; onClose: () => void }): React.ReactElement {
  const { api } = useServices();
  const connected = usePluginState((state) => state.me?.connected ?? true);
  const searchProjects = useProjectSearch();
  const [project, setProject] = useState<Option | null>(null);
  const [issue, setIssue] = useState<Option | null>(null);
  const [comment, setComment] = useState('');
  const { busy, error, setError, run } = useSubmission();
  const [attached, setAttached] = useState<{ url: string; reference: string } | null>(null);

  if (!connected) return <NotConnected title="Attach to GitLab issue" onClose={onClose} />;
  if (attached) return <Done title="Attach to GitLab issue" text="Attached to" href={attached.url} label={attached.reference} onClose={onClose} />;

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!issue) return setError('Pick an issue.');
    await run(async () => {
      const answer = await api.attachToIssue(issue.value, { postId, comment: comment.trim() || undefined });
      setAttached({ url: answer.url, reference: issue.value });
    });
  };

  return (
    <Dialog title="Attach to GitLab issue" onClose={onClose}>
      <form className="glb-form" onSubmit={submit}>
        <Combobox
          label="Project"
          required
          search={searchProjects}
          selectedLabel={project?.label}
          onSelect={(option) => {
            setProject(option);
            setIssue(null);
          }}
        />
        <Combobox
          label="Issue"
          required
          disabled={!project}
          selectedLabel={issue?.label}
          onSelect={setIssue}
          search={async (search) =>
            (await api.lookupIssues(project?.value ?? '', search)).items.map((item) => ({
              value: item.reference,
              label: `#${item.iid} ${item.title}`,
              detail: item.state,
            }))
          }
        />
        <div className="glb-field">
          <label htmlFor={`glb-comment-${postId}`}>Comment</label>
          <textarea id={`glb-comment-${postId}`} className="glb-input" rows={3} value={comment} onChange={(event) => setComment(event.target.value)} />
        </div>
        <FormFooter error={error} busy={busy} submitLabel="Attach" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

/** The root component: whichever dialog the post menu opened. */
export function PluginRoot(): React.ReactElement | null {
  const { store } = useServices();
  const modal = usePluginState((state) => state.modal);
  if (!modal) return null;
  const close = () => store.set({ modal: null });
  return modal.kind === 'create' ? (
    <CreateIssueModal key={modal.postId} postId={modal.postId} onClose={close} />
  ) : (
    <AttachIssueModal key={modal.postId} postId={modal.postId} onClose={close} />
  );
}
