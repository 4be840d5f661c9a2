// The Review and Outbox screens over the mocked backend: quality advice, body-site search and
// laterality, redaction rectangles drawn with the pointer, queueing, and the layout at phone sizes.
import { expect, test } from '@playwright/test';
import type { BodySite, PhotoSummary } from '../src/lib/types';
import { fixtures, open, overflowX, sent, shots, smallTargets } from './fixtures';

const HEEL: BodySite = { code: '76853006', display: 'Heel', paired: true };
const SACRUM: BodySite = { code: '54735007', display: 'Sacral region', paired: false };
const sharp = { fine_detail: 90, detail_balance: 0.95, sharpness: 320, blurred: false, dark_fraction: 0, bright_fraction: 0, too_dark: false, too_bright: false };
const photo = (id: number, extra: Partial<PhotoSummary> = {}): PhotoSummary => ({
  id,
  width: 3000,
  height: 4000,
  quality: sharp,
  intended_use: 'care',
  body_site: null,
  laterality: null,
  description: '',
  queued: false,
  redacted: false,
  version: 1,
  ...extra,
});

test('photos are labelled with a searched body site and side, and the blurred one is flagged', async ({ page }, info) => {
  await open(page, {
    ...fixtures.review,
    photos: [photo(1), photo(2, { quality: { ...sharp, sharpness: 7, blurred: true } })],
    sites: [HEEL, SACRUM],
  });
  await expect(page.getByTestId('photo-1')).toBeVisible();
  await expect(page.getByTestId('quality-2')).toHaveText('Looks blurred: retake?');
  await expect(page.getByTestId('quality-1')).toHaveCount(0);
  // Thumbnails come from the in-memory `thumb` protocol, never from a file or a data URL.
  await expect(page.getByTestId('thumb-1')).toHaveAttribute('src', 'thumb://localhost/1?v=1');
  await expect(page.getByTestId('unlabelled')).toHaveText('2 still need a body site.');

  await page.getByTestId('site-search-1').fill('hee');
  await page.getByTestId(`site-option-${HEEL.code}`).click();
  const save = page.getByTestId('save-label-1');
  await expect(save).toBeDisabled(); // a paired site needs a side
  await page.getByTestId('side-left-1').click();
  await page.getByTestId('desc-1').fill('Grade 2 pressure ulcer');
  await save.click();
  expect(await sent(page, 'photo_label')).toEqual([
    { cmd: 'photo_label', args: { id: 1, label: { body_site: HEEL.code, laterality: 'left', description: 'Grade 2 pressure ulcer' } } },
  ]);
  await expect(page.getByTestId('site-1')).toContainText('Heel');
  await expect(page.getByTestId('unlabelled')).toHaveText('1 still need a body site.');

  // A midline site has no side to choose.
  await page.getByTestId('site-search-2').fill('sacr');
  await page.getByTestId(`site-option-${SACRUM.code}`).click();
  await expect(page.getByTestId('side-left-2')).toHaveCount(0);
  await page.getByTestId('save-label-2').click();
  expect((await sent(page, 'photo_label'))[1]?.args).toMatchObject({ label: { laterality: 'not_applicable' } });

  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ path: `${shots}${info.project.name}-review.png`, fullPage: true });
});

test('a rectangle dragged over the photo is sent as a solid fill in 0..1 coordinates', async ({ page }, info) => {
  await open(page, { ...fixtures.review, photos: [photo(1)], sites: [HEEL] });
  await page.getByTestId('redact-1').click();
  const frame = page.getByTestId('redact-frame');
  await expect(frame).toBeVisible();
  const box = (await frame.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('fill')).toHaveCount(1);
  await page.screenshot({ path: `${shots}${info.project.name}-redact.png`, fullPage: true });
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
  await expect(page.getByTestId('thumb-1')).toHaveAttribute('src', 'thumb://localhost/1?v=2');
  await expect(page.getByText('Redacted: the original was destroyed.')).toBeVisible();
});

test('queueing goes through core and the Outbox lists the queued photos', async ({ page }) => {
  const queued = { ...fixtures.outbox.view, queued_photos: 1 };
  await open(page, {
    ...fixtures.review,
    photos: [photo(1, { body_site: HEEL, laterality: 'right' })],
    answers: { session_queue: { view: queued } },
  });
  await page.getByTestId('queue').click();
  await expect(page.getByTestId('screen-outbox')).toBeVisible();
  expect(await sent(page, 'session_queue')).toHaveLength(1);
  await expect(page.getByTestId('queued-count')).toHaveText('1');
});
