export { evpnExports } from "./exports";
export {
  describeSkip,
  type ImportedRoutes,
  importLearnedRoutes,
  learnedRoutesOfNode,
  NO_IMPORTED_ROUTES,
  type SkipReason,
} from "./import";
