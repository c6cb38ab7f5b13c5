/**
 * 票据查验: is a receipt genuine? Three ways in, one module each under verify/: the printed
 * code, number and check code (by-numbers.ts); the URL of a receipt's QR code, whose compact
 * signature is checked offline first (by-qr.ts); or the receipt's PDF, checked by the server
 * (by-pdf.ts). What an answer means is decided in verdict.ts (pure, unit-tested) and drawn
 * by render.ts.
 */
import { startByNumbers } from './verify/by-numbers.js';
import { startByPdf } from './verify/by-pdf.js';
import { startFromUrl } from './verify/by-qr.js';

startByNumbers();
startByPdf();
startFromUrl();
