/**
 * Mattermost's emoji names as GitLab names its award emoji. Both start from
 * the common short names, but Mattermost uses emoji-datasource's (`+1`,
 * `slightly_smiling_face`) where GitLab uses gemojione's (`thumbsup`,
 * `slight_smile`). A name not listed is sent as it is; a custom emoji GitLab
 * does not know is refused there and not awarded. Pure.
 */
const TO_GITLAB: Record<string, string> = {
  '+1': 'thumbsup',
  '-1': 'thumbsdown',
  thumbs_up: 'thumbsup',
  thumbs_down: 'thumbsdown',
  slightly_smiling_face: 'slight_smile',
  slightly_frowning_face: 'slight_frown',
  upside_down_face: 'upside_down',
  thinking_face: 'thinking',
  hugging_face: 'hugging',
  face_with_rolling_eyes: 'rolling_eyes',
  rolling_on_the_floor_laughing: 'rofl',
  white_frowning_face: 'frowning2',
  heavy_heart_exclamation_mark_ornament: 'heart_exclamation',
  party_popper: 'tada',
  heart_eyes_cat: 'heart_eyes_cat',
  simple_smile: 'slight_smile',
  raised_hand_with_fingers_splayed: 'hand_splayed',
};

/** Mattermost's name for a reaction → GitLab's; null for names that cannot be award emoji. */
export function awardNameOf(mattermostName: string): string | null {
  const name = mattermostName.trim().toLowerCase();
  if (!/^[a-z0-9_+-]{1,64}$/.test(name)) return null;
  // Skin tones are separate emoji: Mattermost names them `+1_light_skin_tone` … `+1_dark_skin_tone`
  // (server/public/model/emoji_data.go), GitLab `thumbsup_tone1` … `thumbsup_tone5` (fixtures/emojis/aliases.json).
  const tone = /^(.+?)_(?:tone([1-5])|(light|medium_light|medium|medium_dark|dark)_skin_tone)$/.exec(name);
  if (tone) {
    const base = TO_GITLAB[tone[1]!] ?? tone[1]!;
    return `${base}_tone${tone[2] ?? SKIN_TONES.indexOf(tone[3]!) + 1}`;
  }
  return TO_GITLAB[name] ?? name;
}

const SKIN_TONES = ['light', 'medium_light', 'medium', 'medium_dark', 'dark'];
