import { LabIcon } from '@jupyterlab/ui-components';
import funcxSvg from '../style/icons/funcx.svg';

export const funcxIcon = new LabIcon({ name: 'funcx:logo', svgstr: funcxSvg });
