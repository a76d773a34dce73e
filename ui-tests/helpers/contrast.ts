import type { Page } from '@playwright/test';

/** A piece of small text whose contrast with what is behind it is under the target. */
export interface LowContrast {
  text: string;
  className: string;
  ratio: number;
  color: string;
  background: string;
}

/**
 * Every visible element under `roots` that holds text of its own and is small (under 24 px, or 18.66 px bold:
 * WCAG's "large text" gets 3:1), whose contrast with its background is under `target`, computed from the
 * rendered styles: colours with alpha composited over the backgrounds of its ancestors, down to the page's.
 */
export async function lowContrastTexts(page: Page, roots: string[], target = 4.5): Promise<LowContrast[]> {
  return page.evaluate(
    ([selectors, wanted]) => {
      type RGBA = [number, number, number, number];
      const probe = document.createElement('canvas').getContext('2d')!;
      const parse = (css: string): RGBA => {
        probe.clearRect(0, 0, 1, 1);
        probe.fillStyle = '#000';
        probe.fillStyle = css;
        probe.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
        return [r, g, b, a / 255];
      };
      const over = (top: RGBA, bottom: RGBA): RGBA => {
        const a = top[3] + bottom[3] * (1 - top[3]);
        if (a === 0) return [0, 0, 0, 0];
        const mix = (i: number) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
        return [mix(0), mix(1), mix(2), a];
      };
      const luminance = ([r, g, b]: RGBA) => {
        const channel = (v: number) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
      };
      const backgroundOf = (element: Element): RGBA => {
        const layers: RGBA[] = [];
        for (let node: Element | null = element; node; node = node.parentElement) {
          const color = parse(getComputedStyle(node).backgroundColor);
          if (color[3] > 0) layers.push(color);
          if (color[3] >= 1) break;
        }
        let result: RGBA = [255, 255, 255, 1];
        for (const layer of layers.reverse()) result = over(layer, result);
        return result;
      };
      const found: { text: string; className: string; ratio: number; color: string; background: string }[] = [];
      for (const root of selectors.flatMap((selector) => [...document.querySelectorAll(selector)])) {
        for (const element of [root, ...root.querySelectorAll('*')]) {
          const own = [...element.childNodes]
            .filter((node) => node.nodeType === Node.TEXT_NODE)
            .map((node) => node.textContent ?? '')
            .join('')
            .trim();
          if (!own) continue;
          const rect = element.getBoundingClientRect();
          const style = getComputedStyle(element);
          if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden') continue;
          const size = parseFloat(style.fontSize);
          const bold = Number(style.fontWeight) >= 700;
          if (size >= 24 || (bold && size >= 18.66)) continue;
          const background = backgroundOf(element);
          const color = over(parse(style.color), background);
          const [light, dark] = [luminance(color), luminance(background)].sort((a, b) => b - a);
          const ratio = (light + 0.05) / (dark + 0.05);
          if (ratio < wanted) {
            found.push({
              text: own.slice(0, 40),
              className: String(element.className),
              ratio: Math.round(ratio * 100) / 100,
              color: style.color,
              background: `rgb(${background.slice(0, 3).map(Math.round).join(', ')})`,
            });
          }
        }
      }
      return found;
    },
    [roots, target] as const,
  );
}

/** Switches JupyterLab's theme (and waits until the new one is in use). */
export async function useTheme(page: Page, theme: 'JupyterLab Dark' | 'JupyterLab Light'): Promise<void> {
  await page.evaluate(async (name) => {
    const app = (window as any).jupyterapp;
    await app.commands.execute('apputils:change-theme', { theme: name });
  }, theme);
  const light = theme === 'JupyterLab Light';
  await page.waitForFunction((isLight) => document.body.dataset.jpThemeLight === String(isLight), light);
}
