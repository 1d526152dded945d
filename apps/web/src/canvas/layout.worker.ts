import { type LayoutInput, layeredLayout } from "./layered";

/**
 * Runs the layered layout off the main thread: a 2,000-node layout must not block input or
 * paint (issue 10 benchmark: no main-thread task over 50 ms).
 */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<{ id: number; input: LayoutInput }>) => void) | null;
  postMessage: (message: unknown) => void;
};

scope.onmessage = (event) => {
  const { id, input } = event.data;
  scope.postMessage({ id, positions: layeredLayout(input) });
};
