export type { TestHostErrorCode } from './errors.js';
export { TestHostError } from './errors.js';
export type { TestHost, TestImage, TestImageName, TestImagesFile } from './test-host.js';
export {
  DEFAULT_IMAGES_JSON,
  loadTestHost,
  pullImage,
  readImagesFile,
  TEST_IMAGE_NAMES,
} from './test-host.js';
