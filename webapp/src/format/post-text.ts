/** An issue title from a post: its first non-empty line without Markdown heading or quote marks. */
export function titleFromPost(message: string, max = 120): string {
  const first = message.split('\n').map((line) => line.trim()).find(Boolean) ?? '';
  const plain = first.replace(/^(#+|>+|[-*]\s)\s*/, '').trim();
  return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
}
