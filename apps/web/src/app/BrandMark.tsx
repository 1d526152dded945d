/** The netloom logo (decorative: the word next to it names the brand). */
export function BrandMark({ size }: { size: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      <rect width="16" height="16" rx="3" fill="#2563eb" />
      <path d="M4 4h8v8H4z" fill="none" stroke="white" strokeWidth="1.5" />
    </svg>
  );
}
