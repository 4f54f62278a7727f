/** A reaction in Mattermost becomes the same award emoji in GitLab, or none when its name could not be one. */
import { describe, expect, it } from '@jest/globals';
import { awardNameOf } from '../../../server/src/conversations/award-names.js';

describe('awardNameOf', () => {
  it('names Mattermost spells differently become GitLab’s (emoji-datasource → gemojione, fixtures/emojis/aliases.json)', () => {
    expect(awardNameOf('+1')).toBe('thumbsup');
    expect(awardNameOf('-1')).toBe('thumbsdown');
    expect(awardNameOf('slightly_smiling_face')).toBe('slight_smile');
    expect(awardNameOf('thinking_face')).toBe('thinking');
    expect(awardNameOf('raised_hand_with_fingers_splayed')).toBe('hand_splayed');
  });

  it('names both share pass as they are, whatever their case or surrounding blanks', () => {
    expect(awardNameOf('tada')).toBe('tada');
    expect(awardNameOf(' Heart ')).toBe('heart');
    expect(awardNameOf('100')).toBe('100');
    expect(awardNameOf('white_check_mark')).toBe('white_check_mark');
  });

  it('skin tones, as Mattermost names them (model/emoji_data.go), become GitLab’s _tone1…_tone5', () => {
    expect(awardNameOf('+1_light_skin_tone')).toBe('thumbsup_tone1');
    expect(awardNameOf('+1_medium_light_skin_tone')).toBe('thumbsup_tone2');
    expect(awardNameOf('wave_medium_skin_tone')).toBe('wave_tone3');
    expect(awardNameOf('fist_medium_dark_skin_tone')).toBe('fist_tone4');
    expect(awardNameOf('raised_hand_with_fingers_splayed_dark_skin_tone')).toBe('hand_splayed_tone5');
    // GitLab's own spelling is kept.
    expect(awardNameOf('thumbsup_tone2')).toBe('thumbsup_tone2');
  });

  it('names that could not be an award emoji (or would change the API path) give none', () => {
    for (const name of ['', '   ', '../award_emoji', 'a/b', 'thank you', 'x?name=y', 'a%2fb', '🙂', 'a'.repeat(65)]) {
      expect({ name, award: awardNameOf(name) }).toEqual({ name, award: null });
    }
  });
});
