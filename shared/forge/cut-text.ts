/**
 * At most `length` UTF-16 units of `text`, one less where the cut would
 * split a surrogate pair (half an emoji is not text a forge accepts).
 */
export function cutText(text: string, length: number): string {
  if (text.length <= length) return text;
  const code = text.charCodeAt(length - 1);
  const splitsPair = code >= 0xd800 && code <= 0xdbff;
  return text.slice(0, splitsPair ? length - 1 : length);
}
