import { LabIcon } from '@jupyterlab/ui-components';

// Theme classes go on stroked shapes without a fill attribute: JupyterLab recolours `.jp-icon3[fill]`
// and `.jp-icon3[stroke]` separately, and the globe's lines must stay unfilled.
const globe = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g fill="none" stroke-width="1.6">
    <circle class="jp-icon3" stroke="#616161" cx="12" cy="12" r="9"/>
    <ellipse class="jp-icon3" stroke="#616161" cx="12" cy="12" rx="4" ry="9"/>
    <path class="jp-icon3" stroke="#616161" d="M3 12h18M4.5 7.5h15M4.5 16.5h15"/>
  </g>
  <circle class="jp-icon-brand0" fill="#1976d2" cx="17" cy="7.5" r="3"/>
</svg>`;

export const endpointMapIcon = new LabIcon({ name: 'funcx:endpoint-map', svgstr: globe });
