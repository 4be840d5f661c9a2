// The Review and Outbox screens over the mocked backend: quality advice, body-site search and
// laterality, redaction rectangles drawn with the pointer, queueing, and the layout at phone sizes.
import { expect, test } from '@playwright/test';
import { HEEL, SACRUM, photo, sharp } from '../src/lib/testing/views';
import { fixtures, open, overflowX, sent, shots, smallTargets } from './fixtures';

/** Photo ids are UUIDs; these end in the number the test calls them by. */
const ID1 = '6f1d7a52-0c3e-4b8e-9a41-000000000001';
const ID2 = '6f1d7a52-0c3e-4b8e-9a41-000000000002';

test('photos are labelled with a searched body site and side, and the blurred one is flagged', async ({ page }, info) => {
  await open(page, {
    ...fixtures.review,
    photos: [photo(ID1), photo(ID2, { quality: { ...sharp, sharpness: 7, blurred: true } })],
    sites: [HEEL, SACRUM],
  });
  await expect(page.getByTestId(`photo-${ID1}`)).toBeVisible();
  await expect(page.getByTestId(`quality-${ID2}`)).toHaveText('Looks blurred: retake?');
  await expect(page.getByTestId(`quality-${ID1}`)).toHaveCount(0);
  // Thumbnails come from the in-memory `thumb` protocol, never from a file or a data URL.
  await expect(page.getByTestId(`thumb-${ID1}`)).toHaveAttribute('src', `thumb://localhost/${ID1}?v=1`);
  await expect(page.getByTestId('unlabelled')).toHaveText('2 still need a body site.');

  await page.getByTestId(`site-search-${ID1}`).fill('hee');
  await page.getByTestId(`site-option-${HEEL.code}`).click();
  const save = page.getByTestId(`save-label-${ID1}`);
  await expect(save).toBeDisabled(); // a paired site needs a side
  await page.getByTestId(`side-left-${ID1}`).click();
  await page.getByTestId(`desc-${ID1}`).fill('Grade 2 pressure ulcer');
  await save.click();
  expect(await sent(page, 'photo_label')).toEqual([
    { cmd: 'photo_label', args: { id: ID1, label: { body_site: HEEL.code, laterality: 'left', description: 'Grade 2 pressure ulcer' } } },
  ]);
  await expect(page.getByTestId(`site-${ID1}`)).toContainText('Heel');
  await expect(page.getByTestId('unlabelled')).toHaveText('1 still need a body site.');

  // A midline site has no side to choose.
  await page.getByTestId(`site-search-${ID2}`).fill('sacr');
  await page.getByTestId(`site-option-${SACRUM.code}`).click();
  await expect(page.getByTestId(`side-left-${ID2}`)).toHaveCount(0);
  await page.getByTestId(`save-label-${ID2}`).click();
  expect((await sent(page, 'photo_label'))[1]?.args).toMatchObject({ label: { laterality: 'not_applicable' } });

  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-review.png`, fullPage: true });
});

test('a rectangle dragged over the photo is sent as a solid fill in 0..1 coordinates', async ({ page }, info) => {
  await open(page, { ...fixtures.review, photos: [photo(ID1)], sites: [HEEL] });
  await page.getByTestId(`redact-${ID1}`).click();
  const frame = page.getByTestId('redact-frame');
  await expect(frame).toBeVisible();
  const box = (await frame.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('fill')).toHaveCount(1);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-redact.png`, fullPage: true });
  await page.getByTestId('redact-apply').click();
  const [call] = await sent(page, 'photo_redact');
  const { redaction } = call!.args as { redaction: { crop: null; fills: { x: number; y: number; width: number; height: number }[] } };
  expect(redaction.crop).toBeNull();
  expect(redaction.fills).toHaveLength(1);
  const [f] = redaction.fills;
  expect(f!.x).toBeCloseTo(0.1, 1);
  expect(f!.y).toBeCloseTo(0.2, 1);
  expect(f!.width).toBeCloseTo(0.4, 1);
  expect(f!.height).toBeCloseTo(0.4, 1);
  // Back on the list, the photo says it was redacted and its thumbnail is fetched afresh.
  await expect(page.getByTestId(`thumb-${ID1}`)).toHaveAttribute('src', `thumb://localhost/${ID1}?v=2`);
  await expect(page.getByText('Redacted: the original was destroyed.')).toBeVisible();
});

test('queueing goes through core and the Outbox lists the queued photos', async ({ page }) => {
  const queued = { ...fixtures.outbox.view, queued_photos: 1 };
  await open(page, {
    ...fixtures.review,
    photos: [photo(ID1, { body_site: HEEL, laterality: 'right' })],
    answers: { session_queue: { view: queued } },
  });
  await page.getByTestId('queue').click();
  await expect(page.getByTestId('screen-outbox')).toBeVisible();
  expect(await sent(page, 'session_queue')).toHaveLength(1);
  await expect(page.getByTestId('queued-count')).toHaveText('1');
});
