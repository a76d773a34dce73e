import { LabIcon } from '@jupyterlab/ui-components';

const globe = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="none" stroke="#616161" stroke-width="1.6">
    <circle cx="12" cy="12" r="9"/>
    <ellipse cx="12" cy="12" rx="4" ry="9"/>
    <path d="M3 12h18M4.5 7.5h15M4.5 16.5h15"/>
  </g>
  <circle class="jp-icon-accent0" cx="16.5" cy="8.5" r="2.6" fill="#616161"/>
</svg>`;

export const endpointMapIcon = new LabIcon({ name: 'funcx:endpoint-map', svgstr: globe });
