/** A zoom and pan of the map: screen = translate + scale * map coordinates. */
export interface ZoomTransform {
  readonly k: number;
  readonly x: number;
  readonly y: number;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

export const IDENTITY: ZoomTransform = { k: 1, x: 0, y: 0 };
export const MIN_SCALE = 1;
export const MAX_SCALE = 20;
/** Scale factor of one +/- button press or keyboard step. */
export const ZOOM_STEP = 1.5;

/** Keep the scale in range and the map covering the viewport (no panning off into the void). */
export function clampTransform(t: ZoomTransform, size: Size): ZoomTransform {
  const k = Math.min(MAX_SCALE, Math.max(MIN_SCALE, t.k));
  const minX = size.width - size.width * k;
  const minY = size.height - size.height * k;
  return {
    k,
    x: Math.min(0, Math.max(minX, t.x)),
    y: Math.min(0, Math.max(minY, t.y))
  };
}

/** Multiply the scale by `factor`, keeping the map point under screen point (px, py) where it is. */
export function zoomAround(
  t: ZoomTransform,
  factor: number,
  px: number,
  py: number,
  size: Size
): ZoomTransform {
  const k = Math.min(MAX_SCALE, Math.max(MIN_SCALE, t.k * factor));
  const ratio = k / t.k;
  return clampTransform({ k, x: px - (px - t.x) * ratio, y: py - (py - t.y) * ratio }, size);
}

/** Zoom about the centre of the viewport (buttons and keyboard). */
export function zoomCentre(t: ZoomTransform, factor: number, size: Size): ZoomTransform {
  return zoomAround(t, factor, size.width / 2, size.height / 2, size);
}

export function panBy(t: ZoomTransform, dx: number, dy: number, size: Size): ZoomTransform {
  return clampTransform({ k: t.k, x: t.x + dx, y: t.y + dy }, size);
}

export function toScreen(t: ZoomTransform, point: readonly [number, number]): [number, number] {
  return [t.x + t.k * point[0], t.y + t.k * point[1]];
}

/** Wheel delta to a scale factor; pixel, line and page deltas all give a comparable step. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-pixels * 0.002);
}
