import React from 'react';

/** Right-hand panel shown until the real panels exist: says what is going on, in the host's theme. */
export function SetupPanel(): React.ReactElement {
  return (
    <div style={styles.panel} data-testid="gitlab-bridge-setup-panel">
      <h3 style={styles.title}>GitLab Bridge is being set up</h3>
      <p style={styles.text}>
        Your administrator is connecting Mattermost to GitLab. When that is done, your reviews, merge requests,
        issues and to-dos appear here, and <code>/gitlab</code> works in every channel.
      </p>
    </div>
  );
}

// Mattermost's theme variables, so light and dark themes both look native.
const styles: Record<string, React.CSSProperties> = {
  panel: { padding: '16px 20px', color: 'var(--center-channel-color)' },
  title: { margin: '0 0 8px', fontSize: 16, fontWeight: 600 },
  text: { margin: 0, lineHeight: '20px', color: 'rgba(var(--center-channel-color-rgb), 0.72)' },
};
