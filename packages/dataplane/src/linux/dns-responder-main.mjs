// Entry of the DNS responder process (dns.ts starts it inside a tenant namespace):
// node dns-responder-main.mjs ZONE_FILE MARKER. The responder itself is the typed dns-responder.ts.
import { register } from "tsx/esm/api";

register();
const { serveZone } = await import("./dns-responder.ts");
serveZone(process.argv[2]);
