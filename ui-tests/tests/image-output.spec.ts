import { expect, test } from '../helpers/fixtures.js';

const PLOT = `%%funcx local
import matplotlib.pyplot as plt
plt.figure(figsize=(4, 3))
plt.plot([0, 1, 2, 3], [0, 1, 4, 9], marker="o")
plt.title("squares")
plt.show()`;

test('a matplotlib figure drawn on an endpoint renders as an image in the cell', async ({ notebook }) => {
  await notebook.create('image-output', [PLOT]);
  await notebook.run(0);

  const image = notebook.cell(0).locator('.jp-OutputArea-output img');
  await expect(image).toBeVisible();
  await expect(image).toHaveAttribute('src', /^data:image\/png;base64,/);
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
});
