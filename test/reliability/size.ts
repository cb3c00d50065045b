/**
 * Sizes of the reliability suite. `npm test` runs the CI size (a few minutes in all);
 * `npm run test:soak` sets PEERPOST_SOAK=1 for the full size the issue asks for.
 */
export const SOAK = process.env.PEERPOST_SOAK === '1'

/** `ci` under `npm test`, `soak` under `npm run test:soak`. */
export function size<T> (ci: T, soak: T): T {
  return SOAK ? soak : ci
}
