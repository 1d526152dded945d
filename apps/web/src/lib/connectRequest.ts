import { createExternalStore } from "./externalStore";

/**
 * "Connect these two networks with a policy", asked from outside the canvas (the Inspector's
 * keyboard path); the workspace answers by opening the same dialog a drawn edge opens.
 */
export const connectRequests = createExternalStore<{ request: { a: string; b: string } | null }>({
  request: null,
});

export function requestConnect(a: string, b: string): void {
  connectRequests.set({ request: { a, b } });
}
