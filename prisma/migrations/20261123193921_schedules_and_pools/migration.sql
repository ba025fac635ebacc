-- AlterTable
ALTER TABLE "pool" ADD COLUMN     "dedup" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "retention_runs" INTEGER,
ADD COLUMN     "scratch_pool_id" UUID,
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "schedule" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL,
    "agent_id" UUID NOT NULL,
    "paths" TEXT[],
    "excludes" TEXT[],
    "pool_id" UUID,
    "level" "RunLevel" NOT NULL DEFAULT 'FULL',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "last_fired_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "schedule_firing" (
    "id" UUID NOT NULL,
    "schedule_id" UUID NOT NULL,
    "fire_time" TIMESTAMPTZ(3) NOT NULL,
    "claimed_by" TEXT NOT NULL,
    "claimed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "job_id" UUID,
    "error_code" TEXT,
    "error_message" TEXT,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "schedule_firing_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "schedule_name_key" ON "schedule"("name");

-- CreateIndex
CREATE UNIQUE INDEX "schedule_firing_schedule_id_fire_time_key" ON "schedule_firing"("schedule_id", "fire_time");

-- AddForeignKey
ALTER TABLE "pool" ADD CONSTRAINT "pool_scratch_pool_id_fkey" FOREIGN KEY ("scratch_pool_id") REFERENCES "pool"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedule" ADD CONSTRAINT "schedule_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agent"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedule" ADD CONSTRAINT "schedule_pool_id_fkey" FOREIGN KEY ("pool_id") REFERENCES "pool"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedule_firing" ADD CONSTRAINT "schedule_firing_schedule_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "schedule"("id") ON DELETE CASCADE ON UPDATE CASCADE;
