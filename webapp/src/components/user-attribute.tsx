/** In a user's profile popover: their GitLab username, linked, when they have connected GitLab. */
import React, { useEffect, useState } from 'react';
import { useServices } from '../services';

const cache = new Map<string, Promise<{ username: string; webUrl: string } | null>>();
export function clearUserCache(): void {
  cache.clear();
}

export function UserAttribute({ user }: { user?: { id?: string } }): React.ReactElement | null {
  const { api } = useServices();
  const userId = user?.id;
  const [account, setAccount] = useState<{ username: string; webUrl: string } | null>(null);
  useEffect(() => {
    if (!userId) return;
    let current = true;
    let answer = cache.get(userId);
    if (!answer) {
      answer = api.gitlabUserOf(userId).catch(() => null);
      cache.set(userId, answer);
    }
    void answer.then((found) => current && setAccount(found));
    return () => {
      current = false;
    };
  }, [api, userId]);
  if (!account) return null;
  return (
    <div data-testid="gitlab-user-attribute" className="glb-meta">
      <span>GitLab</span>
      <a className="glb-link" href={account.webUrl} target="_blank" rel="noopener noreferrer">
        {account.username}
      </a>
    </div>
  );
}
