/** Small shared pieces of the console. */

/** Chinese first, then English (marked as such for screen readers). */
export function Bi(props: { zh: string; en: string }) {
  return (
    <>
      {props.zh} <span lang="en">{props.en}</span>
    </>
  );
}
