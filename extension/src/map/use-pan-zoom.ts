import * as React from 'react';

import {
  IDENTITY,
  panBy,
  wheelFactor,
  zoomAround,
  zoomCentre,
  ZOOM_STEP,
  type Size,
  type ZoomTransform
} from './zoom';

const KEY_PAN_PIXELS = 60;

export interface IPanZoom {
  transform: ZoomTransform;
  zoomIn(): void;
  zoomOut(): void;
  reset(): void;
  /** Pan so that a screen point lies at the centre of the viewport. */
  centreOn(x: number, y: number): void;
  onKeyDown(event: React.KeyboardEvent): void;
  onPointerDown(event: React.PointerEvent): void;
  onPointerMove(event: React.PointerEvent): void;
  onPointerUp(event: React.PointerEvent): void;
}

/**
 * Wheel zoom about the pointer, drag to pan, keyboard (+, -, 0, arrows) on the viewport.
 * Drags that start on a button (markers, zoom controls) are left to the button.
 */
export function usePanZoom(viewport: React.RefObject<HTMLElement>, size: Size): IPanZoom {
  const [transform, setTransform] = React.useState<ZoomTransform>(IDENTITY);
  const drag = React.useRef<{ pointerId: number; x: number; y: number } | null>(null);
  const sizeRef = React.useRef(size);
  sizeRef.current = size;

  // React registers wheel listeners as passive, which cannot stop the page from scrolling.
  React.useEffect(() => {
    const element = viewport.current;
    if (!element) {
      return;
    }
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const box = element.getBoundingClientRect();
      const factor = wheelFactor(event.deltaY, event.deltaMode);
      setTransform(t =>
        zoomAround(t, factor, event.clientX - box.left, event.clientY - box.top, sizeRef.current)
      );
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, [viewport]);

  // A resized viewport keeps the zoom but must stay covered by the map.
  React.useEffect(() => {
    setTransform(t => panBy(t, 0, 0, size));
  }, [size.width, size.height]);

  return {
    transform,
    zoomIn: () => setTransform(t => zoomCentre(t, ZOOM_STEP, sizeRef.current)),
    zoomOut: () => setTransform(t => zoomCentre(t, 1 / ZOOM_STEP, sizeRef.current)),
    reset: () => setTransform(IDENTITY),
    centreOn: (x, y) =>
      setTransform(t =>
        panBy(t, sizeRef.current.width / 2 - x, sizeRef.current.height / 2 - y, sizeRef.current)
      ),
    onKeyDown(event) {
      if (event.target !== event.currentTarget) {
        return;
      }
      const current = sizeRef.current;
      const steps: Record<string, (t: ZoomTransform) => ZoomTransform> = {
        '+': t => zoomCentre(t, ZOOM_STEP, current),
        '=': t => zoomCentre(t, ZOOM_STEP, current),
        '-': t => zoomCentre(t, 1 / ZOOM_STEP, current),
        '0': () => IDENTITY,
        ArrowLeft: t => panBy(t, KEY_PAN_PIXELS, 0, current),
        ArrowRight: t => panBy(t, -KEY_PAN_PIXELS, 0, current),
        ArrowUp: t => panBy(t, 0, KEY_PAN_PIXELS, current),
        ArrowDown: t => panBy(t, 0, -KEY_PAN_PIXELS, current)
      };
      const step = steps[event.key];
      if (step) {
        event.preventDefault();
        event.stopPropagation();
        setTransform(step);
      }
    },
    onPointerDown(event) {
      if (event.button !== 0 || (event.target as Element).closest('button')) {
        return;
      }
      drag.current = { pointerId: event.pointerId, x: event.clientX, y: event.clientY };
      event.currentTarget.setPointerCapture(event.pointerId);
    },
    onPointerMove(event) {
      const start = drag.current;
      if (!start || start.pointerId !== event.pointerId) {
        return;
      }
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      drag.current = { pointerId: event.pointerId, x: event.clientX, y: event.clientY };
      setTransform(t => panBy(t, dx, dy, sizeRef.current));
    },
    onPointerUp(event) {
      if (drag.current?.pointerId === event.pointerId) {
        drag.current = null;
        event.currentTarget.releasePointerCapture(event.pointerId);
      }
    }
  };
}

/** The content size of an element, kept current with a ResizeObserver. */
export function useElementSize(element: React.RefObject<HTMLElement>): Size {
  const [size, setSize] = React.useState<Size>({ width: 0, height: 0 });
  React.useEffect(() => {
    const target = element.current;
    if (!target) {
      return;
    }
    const observer = new ResizeObserver(entries => {
      const box = entries[entries.length - 1].contentRect;
      // A hidden tab measures 0 x 0: keep the last real size, so the zoom and pan survive switching tabs.
      if (box.width === 0 || box.height === 0) {
        return;
      }
      setSize(previous =>
        previous.width === box.width && previous.height === box.height
          ? previous
          : { width: box.width, height: box.height }
      );
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [element]);
  return size;
}
