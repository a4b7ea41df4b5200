import type { Request, Response } from 'express';

export function createHomeController() {
  return {
    index(_req: Request, res: Response) {
      res.render('home/index', { title: 'Home' });
    },
  };
}
