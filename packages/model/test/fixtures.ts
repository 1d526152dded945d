/// <reference types="vite/client" />
// Vite's `?raw` import reads the example at build time: the tests need the file's text, and
// the model package (tests included) is kept free of node:fs by biome.json.
import threeTierText from "../../../../shared/examples/three-tier.yaml?raw";

/** The text of ../shared/examples/three-tier.yaml (beside the clone). */
export const THREE_TIER_YAML: string = threeTierText;
