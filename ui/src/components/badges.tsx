/** A status as a word with a colour class; the word carries the meaning, the colour only helps. */
export function Badge({ value, title }: { value: string; title?: string | undefined }) {
  const tone = value.toLowerCase().replace(/[^a-z]+/g, '-');
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {value}
    </span>
  );
}
