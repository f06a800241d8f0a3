using System.Net;
using Microsoft.Extensions.Time.Testing;
using WebRtc.Ice.Turn;

namespace WebRtc.Tests.Ice.Turn;

public class TurnRefreshScheduleTests
{
    [Theory]
    [InlineData(600, 540)]
    [InlineData(3600, 3540)]
    [InlineData(120, 60)]
    [InlineData(30, 15)]
    [InlineData(4, 2)]
    public void Allocations_are_renewed_a_minute_early_or_at_half_life(int lifetime, int refreshAfter)
    {
        Assert.Equal(TimeSpan.FromSeconds(refreshAfter), TurnRefreshSchedule.AllocationRefreshDelay(TimeSpan.FromSeconds(lifetime)));
    }

    [Fact]
    public void Fires_each_item_once_at_its_time_on_the_fake_clock()
    {
        var time = new FakeTimeProvider();
        var fired = new List<(TurnRefresh Item, DateTimeOffset At)>();
        using var schedule = new TurnRefreshSchedule(time, item => fired.Add((item, time.GetUtcNow())));
        var start = time.GetUtcNow();
        var allocation = new TurnRefresh(TurnRefreshKind.Allocation, null);
        var permission = new TurnRefresh(TurnRefreshKind.Permission, new IPEndPoint(IPAddress.Parse("10.0.0.9"), 0));
        var channel = new TurnRefresh(TurnRefreshKind.Channel, new IPEndPoint(IPAddress.Parse("10.0.0.9"), 7000));
        schedule.Schedule(allocation, TimeSpan.FromMinutes(9));
        schedule.Schedule(permission, TimeSpan.FromMinutes(4));
        schedule.Schedule(channel, TimeSpan.FromMinutes(9));
        Assert.Equal(start + TimeSpan.FromMinutes(4), schedule.DueAt(permission));

        time.Advance(TimeSpan.FromMinutes(4) - TimeSpan.FromTicks(1));
        Assert.Empty(fired);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal([(permission, start + TimeSpan.FromMinutes(4))], fired);
        Assert.Null(schedule.DueAt(permission)); // fired items are forgotten until renewed

        schedule.Remove(channel);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(2, fired.Count);
        Assert.Equal(allocation, fired[1].Item);

        schedule.Schedule(permission, TimeSpan.FromMinutes(4)); // rescheduling moves the timer
        schedule.Schedule(permission, TimeSpan.FromMinutes(1));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, fired.Count);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(3, fired.Count);
    }

    [Fact]
    public void Nothing_fires_after_dispose()
    {
        var time = new FakeTimeProvider();
        var fired = 0;
        var schedule = new TurnRefreshSchedule(time, _ => fired++);
        schedule.Schedule(new TurnRefresh(TurnRefreshKind.Allocation, null), TimeSpan.FromSeconds(1));
        schedule.Dispose();
        schedule.Schedule(new TurnRefresh(TurnRefreshKind.Allocation, null), TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, fired);
    }
}
