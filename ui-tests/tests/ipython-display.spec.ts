import { expect, test } from '../helpers/fixtures.js';

const JUPYTER_CODE = `%%funcx local
from IPython.display import display, HTML, Markdown
display(HTML("<b class='made-on-the-endpoint'>bold from the endpoint</b>"))
display(Markdown("*emphasis* too"))
print("done")`;

test('code written for Jupyter runs unchanged: IPython display objects render as they would in the kernel', async ({
  notebook,
}) => {
  await notebook.create('ipython-display', [JUPYTER_CODE]);
  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('done');
  const html = notebook.cell(0).locator('.jp-OutputArea-output[data-mime-type="text/html"]');
  await expect(html.locator('b')).toHaveText('bold from the endpoint');
  await expect(notebook.cell(0).locator('.jp-OutputArea-output[data-mime-type="text/markdown"] em')).toHaveText('emphasis');
  await expect(notebook.outputArea(0)).not.toContainText('IPython.core.display');
});
