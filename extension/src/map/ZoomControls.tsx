import * as React from 'react';

import type { IPanZoom } from './use-pan-zoom';
import { MAX_SCALE, MIN_SCALE } from './zoom';

export function ZoomControls(props: { panZoom: IPanZoom }): JSX.Element {
  const { panZoom } = props;
  const k = panZoom.transform.k;
  return (
    <div className="funcx-MapZoom" role="toolbar" aria-label="Zoom">
      <button type="button" className="funcx-MapZoom-button" aria-label="Zoom in" title="Zoom in"
        disabled={k >= MAX_SCALE} onClick={panZoom.zoomIn}>
        +
      </button>
      <button type="button" className="funcx-MapZoom-button" aria-label="Zoom out" title="Zoom out"
        disabled={k <= MIN_SCALE} onClick={panZoom.zoomOut}>
        {'\u2212'}
      </button>
      <button type="button" className="funcx-MapZoom-button" aria-label="Reset zoom" title="Reset zoom"
        disabled={k === MIN_SCALE && panZoom.transform.x === 0 && panZoom.transform.y === 0}
        onClick={panZoom.reset}>
        {'\u21BA'}
      </button>
    </div>
  );
}
