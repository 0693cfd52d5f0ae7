import { describe, expect, it } from 'vitest';
import { isWhitespaceToken, jiebaCut, jiebaJoined } from '../../kernel-lib/src/metrics/segment';

// Expected segmentations are Python jieba 0.42.1's `list(jieba.cut(text))` with the default
// dictionary (checked with Debian's python3-jieba while writing these tests).
describe('jiebaCut (Python jieba default cut, HMM on)', () => {
  it('segments with the dictionary', () => {
    expect(jiebaCut('我来到北京清华大学')).toEqual(['我', '来到', '北京', '清华大学']);
    expect(jiebaCut('跟腱断裂需要手术')).toEqual(['跟腱', '断裂', '需要', '手术']);
    expect(jiebaCut('踝关节扭伤后应该冰敷')).toEqual(['踝关节', '扭伤', '后', '应该', '冰敷']);
  });

  it('uses the HMM for words outside the dictionary', () => {
    // 冰敷能 is not a dictionary word; the HMM joins it.
    expect(jiebaCut('冰敷能减轻肿胀和疼痛')).toEqual(['冰敷能', '减轻', '肿胀', '和', '疼痛']);
    expect(jiebaCut('前交叉韧带撕裂后应先冰敷')).toEqual(['前', '交叉', '韧带', '撕裂', '后应', '先冰', '敷']);
  });

  it("splits unknown ASCII runs with Python's pattern, not jieba-rs's", () => {
    // jieba-rs alone gives ['休息', '3-6', '周'] and ['Qwen2-0', '.', '5B', '模型'].
    expect(jiebaCut('休息3-6周')).toEqual(['休息', '3', '-', '6', '周']);
    expect(jiebaCut('Qwen2-0.5B模型')).toEqual(['Qwen2', '-', '0.5', 'B', '模型']);
    expect(jiebaCut('12.5%的人')).toEqual(['12.5%', '的', '人']);
    // Dictionary words made of ASCII stay whole.
    expect(jiebaCut('AT&T3-6')).toEqual(['AT&T', '3', '-', '6']);
    expect(jiebaCut('建议做B超检查')).toEqual(['建议', '做', 'B超', '检查']);
  });

  it('emits whitespace and other characters one by one, keeping \\r\\n together', () => {
    expect(jiebaCut('The cat sat.')).toEqual(['The', ' ', 'cat', ' ', 'sat', '.']);
    expect(jiebaCut('你好。\n\n再见')).toEqual(['你好', '。', '\n', '\n', '再见']);
    expect(jiebaCut('a\r\nb')).toEqual(['a', '\r\n', 'b']);
    expect(jiebaCut('甲\u3000乙')).toEqual(['甲', '\u3000', '乙']);
    expect(jiebaCut('！？')).toEqual(['！', '？']);
  });

  it('treats characters outside Python\'s Han range as single tokens', () => {
    // U+3400 (CJK Extension A) and emoji are outside [\u4E00-\u9FD5].
    expect(jiebaCut('㐀字')).toEqual(['㐀', '字']);
    expect(jiebaCut('😀笑')).toEqual(['😀', '笑']);
  });

  it('returns nothing for empty text and joins with spaces like " ".join', () => {
    expect(jiebaCut('')).toEqual([]);
    expect(jiebaJoined('休息两周后复查')).toBe('休息 两周 后 复查');
  });

  it('recognises whitespace tokens', () => {
    expect(isWhitespaceToken('\r\n')).toBe(true);
    expect(isWhitespaceToken('\u3000')).toBe(true);
    expect(isWhitespaceToken('。')).toBe(false);
  });
});
